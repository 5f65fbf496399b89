#pragma once
// Plays a generated clip in a loop, with a frame slider and play/pause.
#include <QImage>
#include <QWidget>
#include <vector>

#include "core/video/video_frames.h"

class QLabel;
class QSlider;
class QTimer;
class QToolButton;

namespace sm::ui {

class VideoPreview : public QWidget {
  Q_OBJECT
 public:
  explicit VideoPreview(QWidget* parent = nullptr);
  /// Shows `clip` from its first frame and starts playing at its frame rate.
  void setClip(const video::VideoClip& clip);
  void clear();
  int frameCount() const { return static_cast<int>(frames_.size()); }
  /// The size of the clip's frames (empty when none).
  QSize frameSize() const { return frames_.empty() ? QSize() : frames_.front().size(); }
  int currentFrame() const;
  bool playing() const;

 public Q_SLOTS:
  void setPlaying(bool play);
  void showFrame(int index);

 private:
  void resizeEvent(QResizeEvent* event) override;
  std::vector<QImage> frames_;
  QLabel* picture_;
  QSlider* slider_;
  QToolButton* play_;
  QTimer* timer_;
};

}  // namespace sm::ui
