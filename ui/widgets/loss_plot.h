#pragma once
// Live training-loss plot (QCustomPlot): raw loss per step and its moving average.
#include <QWidget>

class QCustomPlot;

namespace sm::ui {

class LossPlot : public QWidget {
  Q_OBJECT
 public:
  explicit LossPlot(QWidget* parent = nullptr);
  /// Appends one training step's loss; the view follows the data.
  void addPoint(int step, double loss);
  void clear();
  int pointCount() const;

 private:
  QCustomPlot* plot_;
  double smoothed_ = 0;
  int points_ = 0;
};

}  // namespace sm::ui
