// Qt Test for the Studio's widgets: the main window opens models off the GUI
// thread, shows errors without dying, and the zh_CN translation is embedded.
#include <QDirIterator>
#include <QSignalSpy>
#include <QTranslator>
#include <QTreeWidget>
#include <QtTest/QtTest>

#include "ui/main_window.h"
#include "ui/panels/model_panel.h"
#include "ui/widgets/loss_plot.h"

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
