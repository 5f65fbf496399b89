// Qt Test for the Studio's widgets: the main window opens models off the GUI
// thread, shows errors without dying, and the zh_CN translation is embedded.
#include <QDirIterator>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTranslator>
#include <QTreeWidget>
#include <QtTest/QtTest>

#include "ui/main_window.h"
#include "ui/panels/generate_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/widgets/loss_plot.h"
#include "ui/widgets/video_preview.h"

class StudioTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void embedsTheChineseTranslation() {
    QTranslator translator;
    QVERIFY(translator.load(QLocale(QLocale::Chinese, QLocale::China), "stillmoving", "_", ":/i18n"));
    QCOMPARE(translator.translate("sm::ui::MainWindow", "Models"), QString::fromUtf8("模型"));
  }

  void inspectsAModelInTheBackground() {
    sm::ui::MainWindow window;
    QSignalSpy inspected(window.modelPanel(), &sm::ui::ModelPanel::modelInspected);
    window.modelPanel()->openModel(QString(SM_TEST_DATA_DIR) + "/fixtures/mm_tiny_v2_original.ckpt");
    QVERIFY(inspected.wait(10000));
    QCOMPARE(window.modelPanel()->modelCount(), 1);
    auto* tree = window.modelPanel()->findChild<QTreeWidget*>();
    QVERIFY(tree);
    QCOMPARE(tree->topLevelItem(0)->text(1), QString("motion-module (v2)"));
  }

  void reportsABrokenFileAndKeepsRunning() {
    sm::ui::ModelPanel panel;
    QSignalSpy failed(&panel, &sm::ui::ModelPanel::modelFailed);
    const QString path = QString(SM_TEST_DATA_DIR) + "/malformed/pickle_os_system.ckpt";
    panel.openModel(path);
    QVERIFY(failed.wait(10000));
    QCOMPARE(failed.at(0).at(0).toString(), path);
    QVERIFY(failed.at(0).at(1).toString().contains("posix.system"));
    QCOMPARE(panel.modelCount(), 0);
  }

  void generatesAVideoOffTheGuiThreadAndExportsIt() {
    sm::ui::MainWindow window;
    auto* panel = window.generatePanel();
    // Opening the models in the Models tab fills the Generate tab's fields.
    QSignalSpy recognized(window.modelPanel(), &sm::ui::ModelPanel::modelRecognized);
    window.modelPanel()->openModel(QString(SM_TEST_DATA_DIR) + "/fixtures/sd15_tiny_diffusers");
    QVERIFY(recognized.wait(10000));
    window.modelPanel()->openModel(QString(SM_TEST_DATA_DIR) + "/fixtures/motion_adapter_tiny_v2_diffusers");
    QVERIFY(recognized.wait(10000));
    QCOMPARE(QString::fromStdString(panel->sources().motionModule),
             QString(SM_TEST_DATA_DIR) + "/fixtures/motion_adapter_tiny_v2_diffusers");
    QVERIFY(!panel->sources().base.empty());

    panel->setPrompt("a photo of a cat");
    panel->findChild<QSpinBox*>("frames")->setValue(6);
    panel->findChild<QSpinBox*>("width")->setValue(64);
    panel->findChild<QSpinBox*>("height")->setValue(64);
    panel->findChild<QSpinBox*>("steps")->setValue(2);
    QCOMPARE(panel->request().frames, 6);
    QSignalSpy generated(panel, &sm::ui::GeneratePanel::generated);
    QSignalSpy failed(panel, &sm::ui::GeneratePanel::failed);
    panel->generate();
    QVERIFY(generated.wait(60000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(panel->preview()->frameCount(), 6);
    QCOMPARE(panel->lastClip().frames[0].width, 64);

    QTemporaryDir dir;
    QSignalSpy exported(panel, &sm::ui::GeneratePanel::exported);
    panel->exportTo(dir.filePath("clip.mp4"));
    QVERIFY(exported.wait(30000));
    QVERIFY(QFileInfo(dir.filePath("clip.mp4")).size() > 0);
  }

  void refusesABadRequestAtOnceAndReportsALoadFailure() {
    sm::ui::GeneratePanel panel;
    QSignalSpy failed(&panel, &sm::ui::GeneratePanel::failed);
    panel.generate();  // no models chosen
    QCOMPARE(failed.count(), 1);
    panel.setBaseModel(QString(SM_TEST_DATA_DIR) + "/malformed/pickle_os_system.ckpt");
    panel.setMotionModule(QString(SM_TEST_DATA_DIR) + "/fixtures/mm_tiny_v2_original.ckpt");
    panel.setPrompt("cat");
    panel.findChild<QSpinBox*>("width")->setValue(64);
    panel.findChild<QSpinBox*>("height")->setValue(64);
    panel.generate();
    QVERIFY(failed.wait(30000));
    QVERIFY(failed.at(1).at(1).toString().contains("posix.system"));
  }

  void lossPlotTakesPoints() {
    sm::ui::LossPlot plot;
    for (int step = 0; step < 50; ++step) plot.addPoint(step, 0.1 / (1 + step));
    QCOMPARE(plot.pointCount(), 50);
    plot.clear();
    QCOMPARE(plot.pointCount(), 0);
  }
};

QTEST_MAIN(StudioTest)
#include "studio_test.moc"
