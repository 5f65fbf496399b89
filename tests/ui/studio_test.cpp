// Qt Test for the Studio's widgets: the main window opens models off the GUI
// thread, shows errors without dying, builds training data and trains adapters
// through the Training tab, and the zh_CN translation is embedded.
#include <QCheckBox>
#include <QComboBox>
#include <QDirIterator>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTranslator>
#include <QTreeWidget>
#include <QtTest/QtTest>

#include "core/settings/widget_spec.h"
#include "core/video/video_writer.h"
#include "ui/main_window.h"
#include "ui/panels/generate_panel.h"
#include "ui/panels/model_panel.h"
#include "ui/panels/queue_panel.h"
#include "ui/panels/training_panel.h"
#include "ui/widgets/loss_plot.h"
#include "ui/widgets/video_preview.h"

namespace {

const QString kBase = QString(SM_TEST_DATA_DIR) + "/fixtures/sd15_tiny_diffusers";
const QString kMotionModule = QString(SM_TEST_DATA_DIR) + "/fixtures/motion_adapter_tiny_v2_diffusers";

template <typename T>
T* child(QObject* parent, const char* name) {
  T* widget = parent->findChild<T*>(name);
  if (!widget) qFatal("no child widget %s", name);
  return widget;
}

// A tiny frozen dataset sampled from the model: 2 prompts x 1 sample, 64x64, 4 frames, 2 steps.
bool buildTinyFrozenDataset(sm::ui::TrainingPanel& panel, const QString& folder) {
  panel.setBaseModel(kBase);
  panel.setMotionModule(kMotionModule);
  child<QComboBox>(&panel, "datasetKind")->setCurrentIndex(0);
  child<QComboBox>(&panel, "datasetSource")->setCurrentIndex(0);  // sampled from the model
  child<QPlainTextEdit>(&panel, "datasetPrompts")->setPlainText("a photo of sks cat\na photo of sks dog\n");
  child<QLineEdit>(&panel, "datasetOut")->setText(folder);
  child<QSpinBox>(&panel, "datasetWidth")->setValue(64);
  child<QSpinBox>(&panel, "datasetHeight")->setValue(64);
  child<QSpinBox>(&panel, "datasetFrames")->setValue(4);
  child<QSpinBox>(&panel, "datasetCount")->setValue(1);
  child<QSpinBox>(&panel, "datasetSteps")->setValue(2);
  QSignalSpy built(&panel, &sm::ui::TrainingPanel::datasetBuilt);
  panel.buildDataset();
  return built.wait(60000);
}

void setTinyTraining(sm::ui::TrainingPanel& panel, const QString& output, int steps) {
  panel.setMode(sm::ui::TrainingPanel::Mode::MotionAdapter);
  child<QLineEdit>(&panel, "trainOutput")->setText(output);
  child<QSpinBox>(&panel, "trainSteps")->setValue(steps);
  child<QSpinBox>(&panel, "trainRank")->setValue(4);
  child<QSpinBox>(&panel, "trainCheckpointEvery")->setValue(0);
}

}  // namespace

class StudioTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  // The ControlNet section: the condition previewed before anything is generated,
  // then a generation the driving video steers, shown as source | condition | output.
  void controlNetSectionPreviewsTheConditionAndDrivesTheVideo() {
    QTemporaryDir dir;
    sm::video::VideoClip driving;
    driving.fps = 8;
    for (int k = 0; k < 6; ++k) {
      sm::video::Frame f;
      f.width = 96;
      f.height = 64;
      f.rgb.assign(96 * 64 * 3, 20);
      for (int y = 16; y < 48; ++y)
        for (int x = 8 + 6 * k; x < 40 + 6 * k; ++x)
          for (int c = 0; c < 3; ++c) f.rgb[(static_cast<size_t>(y) * 96 + x) * 3 + c] = 240;
      driving.frames.push_back(f);
    }
    sm::video::writeVideo(dir.filePath("drive").toStdString(), driving);

    sm::ui::GeneratePanel panel;
    panel.setBaseModel(kBase);
    panel.setMotionModule(kMotionModule);
    panel.setPrompt("a photo of a cat");
    child<QSpinBox>(&panel, "frames")->setValue(6);
    child<QSpinBox>(&panel, "width")->setValue(64);
    child<QSpinBox>(&panel, "height")->setValue(64);
    child<QSpinBox>(&panel, "steps")->setValue(2);
    QVERIFY(panel.controlNets().empty());  // off by default
    QVERIFY(!child<QPushButton>(&panel, "previewControl")->isEnabled());
    panel.setControlNet(QString(SM_TEST_DATA_DIR) + "/fixtures/controlnet_tiny_original.safetensors",
                        dir.filePath("drive"));
    QCOMPARE(panel.controlNets().size(), size_t{1});
    QVERIFY(child<QPushButton>(&panel, "previewControl")->isEnabled());
    QCOMPARE(panel.controlNets().front().preprocessor.low, 100.0);  // the table's default

    QSignalSpy failed(&panel, &sm::ui::GeneratePanel::failed);
    panel.previewControl();
    QTRY_COMPARE_WITH_TIMEOUT(panel.preview()->frameCount(), 6, 30000);
    QCOMPARE(panel.preview()->frameSize(), QSize(64 + 4 + 64, 64));  // source | condition

    QSignalSpy generated(&panel, &sm::ui::GeneratePanel::generated);
    panel.generate();
    QVERIFY(generated.wait(60000));
    QCOMPARE(failed.count(), 0);
    QVERIFY(child<QPushButton>(&panel, "previewControl")->isEnabled());  // idle again, section on
    QCOMPARE(panel.preview()->frameSize(), QSize(3 * 64 + 2 * 4, 64));   // source | condition | output
    if (qEnvironmentVariableIsSet("SM_CONTROLNET_SCREENSHOT")) {         // WIDTHxHEIGHT:FILE.png, to look at the layout
      const QStringList spec = qEnvironmentVariable("SM_CONTROLNET_SCREENSHOT").split(':');
      const QStringList size = spec.at(0).split('x');
      panel.resize(size.at(0).toInt(), size.at(1).toInt());
      panel.show();
      QVERIFY(QTest::qWaitForWindowExposed(&panel));
      QTest::qWait(300);
      QVERIFY(panel.grab().save(spec.at(1)));
    }
    panel.setPlayerView(sm::ui::GeneratePanel::PlayerView::Output);
    QCOMPARE(panel.preview()->frameSize(), QSize(64, 64));

    // A driving video too short for the frames asked: a dialog's message, not a crash.
    child<QSpinBox>(&panel, "frames")->setValue(8);
    panel.generate();
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
    QVERIFY2(failed.at(0).at(1).toString().contains("has 6 frames"), qPrintable(failed.at(0).at(1).toString()));
  }

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

  void generateWidgetsTakeTheirRangesAndDefaultsFromTheSettingsTable() {
    sm::ui::GeneratePanel panel;
    using sm::settings::Command;
    for (const char* key : {"frames", "width", "height", "steps"}) {
      const sm::settings::WidgetSpec spec = sm::settings::widgetSpec(Command::Generate, key);
      auto* box = panel.findChild<QSpinBox*>(key);
      QVERIFY2(box, key);
      QCOMPARE(box->minimum(), static_cast<int>(spec.min));
      QCOMPARE(box->maximum(), static_cast<int>(spec.max));
      QCOMPARE(box->value(), static_cast<int>(spec.defaultValue));
      QCOMPARE(box->toolTip(), QString::fromStdString(spec.tooltip));
    }
    for (const char* key : {"cfg", "fps", "motion-scale", "spatial-strength"}) {
      const sm::settings::WidgetSpec spec = sm::settings::widgetSpec(Command::Generate, key);
      auto* box = panel.findChild<QDoubleSpinBox*>(key);
      QVERIFY2(box, key);
      QCOMPARE(box->minimum(), spec.min);
      QCOMPARE(box->maximum(), spec.max);
      QCOMPARE(box->value(), spec.defaultValue);
    }
    auto* sampler = panel.findChild<QComboBox*>("scheduler");
    QVERIFY(sampler);
    const sm::settings::WidgetSpec spec = sm::settings::widgetSpec(Command::Generate, "scheduler");
    QCOMPARE(sampler->count(), static_cast<int>(spec.choices.size()));
    QCOMPARE(sampler->currentText(), QString::fromStdString(spec.choices.front()));
    // What the form holds is a request core accepts: 8 is the smallest size there too.
    panel.findChild<QSpinBox*>("width")->setValue(72);
    panel.findChild<QSpinBox*>("height")->setValue(8);
    QCOMPARE(panel.request().width, 72);
    panel.setPrompt("a cat");
    panel.request().validate();
  }

  void queuesJobsOfTwoTabsOnTheOneComputeWorker() {
    sm::ui::MainWindow window;
    auto* generate = window.generatePanel();
    generate->setBaseModel(kBase);
    generate->setMotionModule(kMotionModule);
    generate->setPrompt("a photo of a cat");
    generate->findChild<QSpinBox*>("frames")->setValue(4);
    generate->findChild<QSpinBox*>("width")->setValue(64);
    generate->findChild<QSpinBox*>("height")->setValue(64);
    generate->findChild<QSpinBox*>("steps")->setValue(6);

    // Record which job reports progress when: the dataset's must all come after the generation's end.
    QStringList timeline;
    auto* training = window.trainingPanel();
    QSignalSpy generated(generate, &sm::ui::GeneratePanel::generated);
    QSignalSpy built(training, &sm::ui::TrainingPanel::datasetBuilt);
    connect(generate, &sm::ui::GeneratePanel::generated, this, [&] { timeline << "generate: done"; });
    auto* datasetStatus = child<QLabel>(training, "datasetStatus");

    QTemporaryDir dir;
    generate->generate();
    // The second tab's job waits in the queue while the first runs.
    training->setBaseModel(kBase);
    training->setMotionModule(kMotionModule);
    child<QComboBox>(training, "datasetKind")->setCurrentIndex(0);
    child<QComboBox>(training, "datasetSource")->setCurrentIndex(0);
    child<QPlainTextEdit>(training, "datasetPrompts")->setPlainText("a photo of sks cat\n");
    child<QLineEdit>(training, "datasetOut")->setText(dir.filePath("frozen"));
    child<QSpinBox>(training, "datasetWidth")->setValue(64);
    child<QSpinBox>(training, "datasetHeight")->setValue(64);
    child<QSpinBox>(training, "datasetFrames")->setValue(4);
    child<QSpinBox>(training, "datasetCount")->setValue(1);
    child<QSpinBox>(training, "datasetSteps")->setValue(2);
    training->buildDataset();
    QTRY_VERIFY_WITH_TIMEOUT(datasetStatus->text().startsWith("Queued"), 10000);
    // The worker thread may take the generation a moment after both are queued.
    QTRY_VERIFY_WITH_TIMEOUT(
        window.queuePanel()->rows().size() == 2 && window.queuePanel()->rows().at(0).startsWith("running: Generate"),
        10000);
    QVERIFY(window.queuePanel()->rows().at(1).startsWith("queued: Frozen dataset"));
    // The status bar says so, and the queue shows itself while a job waits.
    QTRY_COMPARE_WITH_TIMEOUT(child<QToolButton>(&window, "queueButton")->text(),
                              QString("Queue: 1 running, 1 waiting"), 10000);
    QVERIFY(window.queuePanel()->isVisibleTo(&window));
    connect(training, &sm::ui::TrainingPanel::datasetBuilt, this, [&] { timeline << "dataset: done"; });
    QVERIFY(generated.wait(60000));
    QVERIFY(built.count() == 1 || built.wait(60000));
    QCOMPARE(timeline, (QStringList{"generate: done", "dataset: done"}));
    QTRY_VERIFY_WITH_TIMEOUT(window.queuePanel()->rows().at(0).startsWith("No jobs"), 10000);
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

  void buildsTrainingDataAndTrainsAMotionAdapter() {
    sm::ui::MainWindow window;
    auto* panel = window.trainingPanel();
    // A failure shows up in the spy; the window's modal dialog would only stall the test.
    QObject::disconnect(panel, &sm::ui::TrainingPanel::failed, &window, nullptr);
    QSignalSpy failed(panel, &sm::ui::TrainingPanel::failed);
    QTemporaryDir dir;
    const QString frozen = dir.filePath("frozen");
    QVERIFY(buildTinyFrozenDataset(*panel, frozen));
    QCOMPARE(failed.count(), 0);
    // The contact sheet is on show and the dataset is in the Train form.
    QCOMPARE(panel->previewPath(), QDir(frozen).filePath("preview.png"));
    QVERIFY(!child<QLabel>(panel, "datasetPreview")->pixmap().isNull());
    QCOMPARE(child<QLineEdit>(panel, "trainFrozen")->text(), frozen);

    const QString output = dir.filePath("motion_adapter.safetensors");
    setTinyTraining(*panel, output, 2);
    QSignalSpy trained(panel, &sm::ui::TrainingPanel::trained);
    panel->train();
    QVERIFY(trained.wait(60000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(panel->lossPlot()->pointCount(), 2);
    QVERIFY(QFileInfo(output).size() > 0);
    QVERIFY(panel->trainingStatus().contains(output));

    if (qEnvironmentVariableIsSet("SM_SCREENSHOT")) {
      window.findChild<QTabWidget*>()->setCurrentWidget(panel);
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      QTest::qWait(300);
      QVERIFY(window.grab().save(qEnvironmentVariable("SM_SCREENSHOT")));
    }

    // "Use in Generate" puts the adapter and its models into the Generate tab.
    auto* use = child<QPushButton>(panel, "useInGenerate");
    QVERIFY(use->isEnabled());
    use->click();
    const sm::pipelines::ModelSet sources = window.generatePanel()->sources();
    QCOMPARE(QString::fromStdString(sources.motionAdapter), output);
    QCOMPARE(QString::fromStdString(sources.motionModule), kMotionModule);
  }

  void cancelledTrainingLeavesACheckpointThatResumes() {
    sm::ui::TrainingPanel panel;
    QSignalSpy failed(&panel, &sm::ui::TrainingPanel::failed);
    QTemporaryDir dir;
    QVERIFY(buildTinyFrozenDataset(panel, dir.filePath("frozen")));
    const QString output = dir.filePath("adapter.safetensors");
    setTinyTraining(panel, output, 1000);
    QSignalSpy cancelled(&panel, &sm::ui::TrainingPanel::trainingCancelled);
    panel.train();
    QTRY_VERIFY_WITH_TIMEOUT(panel.lossPlot()->pointCount() >= 1, 60000);
    panel.cancelTraining();
    QVERIFY(cancelled.wait(60000));
    QCOMPARE(failed.count(), 0);
    const int step = cancelled.at(0).at(0).toInt();
    QVERIFY(step >= 1);
    QVERIFY(panel.trainingStatus().contains(QString("Cancelled at step %1: checkpoint saved").arg(step)));
    QVERIFY(QDir(output + ".checkpoints").exists());

    child<QSpinBox>(&panel, "trainSteps")->setValue(step + 1);
    child<QCheckBox>(&panel, "trainResume")->setChecked(true);
    QSignalSpy trained(&panel, &sm::ui::TrainingPanel::trained);
    panel.train();
    QVERIFY(trained.wait(60000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(panel.lossPlot()->pointCount(), step + 1);  // the history replayed, then one more step
    QVERIFY(panel.trainingStatus().contains(QString("resumed at step %1").arg(step)));

    // A fresh run over it asks first: cancelled, nothing runs; replaced, it starts from step 0.
    child<QCheckBox>(&panel, "trainResume")->setChecked(false);
    child<QSpinBox>(&panel, "trainSteps")->setValue(1);
    QStringList asked;
    panel.setEarlierRunQuestion([&asked](const QString& files) {
      asked << files;
      return sm::ui::TrainingPanel::EarlierRun::Cancel;
    });
    const QDateTime written = QFileInfo(output).lastModified();
    panel.train();
    QCOMPARE(asked.size(), 1);
    QVERIFY2(asked[0].contains(output + ".checkpoints") && asked[0].contains(output), qPrintable(asked[0]));
    QTest::qWait(200);
    QCOMPARE(QFileInfo(output).lastModified(), written);
    panel.setEarlierRunQuestion([](const QString&) { return sm::ui::TrainingPanel::EarlierRun::Replace; });
    panel.train();
    QVERIFY(trained.wait(60000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(panel.lossPlot()->pointCount(), 1);
    QVERIFY(!panel.trainingStatus().contains("resumed"));
  }

  void trainsSpatialAdaptersWithTheMotionAdapter() {
    sm::ui::TrainingPanel panel;
    QSignalSpy failed(&panel, &sm::ui::TrainingPanel::failed);
    QSignalSpy trained(&panel, &sm::ui::TrainingPanel::trained);
    QTemporaryDir dir;
    QVERIFY(buildTinyFrozenDataset(panel, dir.filePath("frozen")));
    const QString motionAdapter = dir.filePath("motion.safetensors");
    setTinyTraining(panel, motionAdapter, 1);
    panel.train();
    QVERIFY(trained.wait(60000));

    const QString custom = QString(SM_TEST_DATA_DIR) + "/fixtures/sd15_tiny_ldm.safetensors";
    panel.setCustomModel(custom);
    panel.setMode(sm::ui::TrainingPanel::Mode::SpatialAdapters);
    child<QLineEdit>(&panel, "trainMotionAdapter")->setText(motionAdapter);
    const QString output = dir.filePath("spatial.safetensors");
    child<QLineEdit>(&panel, "trainOutput")->setText(output);
    QCOMPARE(QString::fromStdString(panel.spatialAdaptersSettings().model.custom), custom);
    QVERIFY(panel.motionAdapterSettings().model.custom.empty());  // the Motion Adapter is the base model's
    panel.train();
    QVERIFY(trained.wait(60000));
    QCOMPARE(failed.count(), 0);
    QCOMPARE(panel.lossPlot()->pointCount(), 1);
    QVERIFY(QFileInfo(output).size() > 0);
    QCOMPARE(QString::fromStdString(panel.trainedSources().spatialAdapters), output);
    QCOMPARE(QString::fromStdString(panel.trainedSources().motionAdapter), motionAdapter);
  }

  void trainingPanelRefusesBadSettingsAtOnce() {
    sm::ui::TrainingPanel panel;
    QSignalSpy failed(&panel, &sm::ui::TrainingPanel::failed);
    QTemporaryDir dir;
    panel.setBaseModel(kBase);
    panel.setMotionModule(kMotionModule);
    child<QPlainTextEdit>(&panel, "datasetPrompts")->setPlainText("a photo of sks cat");
    child<QLineEdit>(&panel, "datasetOut")->setText(dir.filePath("frozen"));
    child<QSpinBox>(&panel, "datasetWidth")->setValue(100);
    panel.buildDataset();
    QCOMPARE(failed.count(), 1);
    QVERIFY(failed.at(0).at(1).toString().contains("multiple of 8"));

    child<QLineEdit>(&panel, "trainOutput")->setText(dir.filePath("adapter.safetensors"));
    panel.train();  // no dataset
    QCOMPARE(failed.count(), 2);
    QVERIFY(failed.at(1).at(1).toString().contains("frozen-video dataset"));

    child<QLineEdit>(&panel, "trainFrozen")->setText(dir.path());
    child<QLineEdit>(&panel, "trainOutput")->setText(dir.filePath("adapter.txt"));
    panel.train();
    QCOMPARE(failed.count(), 3);
    QVERIFY(failed.at(2).at(1).toString().contains(".safetensors"));

    panel.openDataset(dir.path());  // no dataset.json there
    QCOMPARE(failed.count(), 4);
    QVERIFY(panel.previewPath().isEmpty());

    QTranslator translator;
    QVERIFY(translator.load(QLocale(QLocale::Chinese, QLocale::China), "stillmoving", "_", ":/i18n"));
    QCOMPARE(translator.translate("sm::ui::TrainingPanel", "Training data"), QString::fromUtf8("训练数据"));
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
