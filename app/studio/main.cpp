// stillmoving-studio: the Qt GUI. Sets up the application, translations and
// the engine's threads, then shows the main window.
#include <QApplication>
#include <QLocale>
#include <QTranslator>

#include "core/engine/runtime.h"
#include "core/video/ffmpeg_log.h"
#include "ui/main_window.h"
#include "ui/panels/model_panel.h"
#include "ui/preferences_dialog.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("StillMoving");
  QApplication::setApplicationName("Still-Moving Studio");
  QApplication::setApplicationVersion(SM_VERSION);
  QTranslator translator;
  if (translator.load(QLocale(), "stillmoving", "_", ":/i18n")) QApplication::installTranslator(&translator);
  sm::engine::configureThreads(sm::ui::PreferencesDialog::savedThreads());
  sm::video::routeFfmpegLogs();  // warnings only: x264's notes on every export are not the artist's business
  sm::ui::MainWindow window;
  window.show();
  for (const QString& path : QApplication::arguments().mid(1)) window.modelPanel()->openModel(path);
  return app.exec();
}
