#include "ui/widgets/video_preview.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QSlider>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace sm::ui {

VideoPreview::VideoPreview(QWidget* parent)
    : QWidget(parent),
      picture_(new QLabel(this)),
      slider_(new QSlider(Qt::Horizontal, this)),
      play_(new QToolButton(this)),
      timer_(new QTimer(this)) {
  picture_->setAlignment(Qt::AlignCenter);
  picture_->setMinimumSize(256, 256);
  picture_->setText(tr("The generated video plays here."));
  play_->setCheckable(true);
  play_->setText(tr("Play"));
  play_->setEnabled(false);
  slider_->setEnabled(false);
  auto* controls = new QHBoxLayout;
  controls->addWidget(play_);
  controls->addWidget(slider_);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(picture_, 1);
  layout->addLayout(controls);
  connect(play_, &QToolButton::toggled, this, &VideoPreview::setPlaying);
  connect(slider_, &QSlider::valueChanged, this, &VideoPreview::showFrame);
  connect(timer_, &QTimer::timeout, this, [this] {
    if (!frames_.empty()) slider_->setValue((slider_->value() + 1) % frameCount());
  });
}

void VideoPreview::setClip(const video::VideoClip& clip) {
  frames_.clear();
  for (const auto& f : clip.frames)
    frames_.push_back(
        QImage(f.rgb.data(), f.width, f.height, f.width * 3, QImage::Format_RGB888).copy());  // owns its pixels
  slider_->setRange(0, std::max(0, frameCount() - 1));
  slider_->setEnabled(!frames_.empty());
  play_->setEnabled(!frames_.empty());
  timer_->setInterval(clip.fps > 0 ? static_cast<int>(1000.0 / clip.fps) : 125);
  slider_->setValue(0);
  showFrame(0);
  play_->setChecked(!frames_.empty());
}

void VideoPreview::clear() {
  play_->setChecked(false);
  frames_.clear();
  picture_->setPixmap(QPixmap());
  slider_->setEnabled(false);
  play_->setEnabled(false);
}

int VideoPreview::currentFrame() const { return slider_->value(); }
bool VideoPreview::playing() const { return timer_->isActive(); }

void VideoPreview::setPlaying(bool play) {
  if (play && !frames_.empty())
    timer_->start();
  else
    timer_->stop();
  play_->setText(play ? tr("Pause") : tr("Play"));
}

void VideoPreview::showFrame(int index) {
  if (index < 0 || index >= frameCount()) return;
  // Nearest-neighbour upscaling: a 64-pixel preview stays crisp instead of blurred.
  picture_->setPixmap(QPixmap::fromImage(frames_[static_cast<size_t>(index)].scaled(
      picture_->size(), Qt::KeepAspectRatio,
      frames_[0].width() < picture_->width() / 2 ? Qt::FastTransformation : Qt::SmoothTransformation)));
}

void VideoPreview::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  showFrame(currentFrame());
}

}  // namespace sm::ui
