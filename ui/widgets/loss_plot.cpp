#include "ui/widgets/loss_plot.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

namespace sm::ui {

LossPlot::LossPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  plot_->addGraph();
  plot_->graph(0)->setName(tr("loss"));
  plot_->graph(0)->setPen(QPen(QColor(120, 160, 220)));
  plot_->addGraph();
  plot_->graph(1)->setName(tr("moving average"));
  plot_->graph(1)->setPen(QPen(QColor(230, 120, 40), 2));
  plot_->xAxis->setLabel(tr("step"));
  plot_->yAxis->setLabel(tr("diffusion loss"));
  plot_->legend->setVisible(true);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->xAxis->setRange(0, 100);
  plot_->yAxis->setRange(0, 0.2);
}

void LossPlot::addPoint(int step, double loss) {
  // Exponential moving average: the raw diffusion loss is noisy by nature (one timestep per sample).
  smoothed_ = points_ == 0 ? loss : 0.95 * smoothed_ + 0.05 * loss;
  ++points_;
  plot_->graph(0)->addData(step, loss);
  plot_->graph(1)->addData(step, smoothed_);
  plot_->rescaleAxes();
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LossPlot::clear() {
  plot_->graph(0)->data()->clear();
  plot_->graph(1)->data()->clear();
  points_ = 0;
  plot_->replot();
}

int LossPlot::pointCount() const { return points_; }

}  // namespace sm::ui
