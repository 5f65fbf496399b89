#!/usr/bin/env python3
"""Tests of tools/check_layers.py on small made-up trees: each kind of wrong-way
include is reported with its file and line, and a clean tree passes."""
import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_layers  # noqa: E402


class CheckLayersTest(unittest.TestCase):
    def run_on(self, files):
        """Writes `files` ({path: text}) to a temporary tree; returns (status, stdout + stderr)."""
        with tempfile.TemporaryDirectory() as root:
            for path, text in files.items():
                (Path(root) / path).parent.mkdir(parents=True, exist_ok=True)
                (Path(root) / path).write_text(text)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = check_layers.main(["--root", root])
            return status, out.getvalue() + err.getvalue()

    def test_includes_that_point_down_pass(self):
        status, output = self.run_on({
            "core/util/error.h": "#pragma once\n#include <string>\n",
            "core/models/unet/unet.cpp": '#include "core/models/unet/unet.h"\n#include "core/nn/attention.h"\n',
            "core/training/run.cpp": '#include "core/pipelines/animatediff_pipeline.h"\n',
            "ui/panel.cpp": '#include <QWidget>\n#include "core/pipelines/animatediff_pipeline.h"\n',
            "app/main.cpp": '#include "ui/main_window.h"\n#include "ui_main_window.h"\n',
        })
        self.assertEqual(status, 0, output)

    def test_an_include_of_a_higher_layer_is_reported_with_file_and_line(self):
        status, output = self.run_on({
            "core/models/unet/unet_3d.cpp": '#include <vector>\n\n#include "core/training/checkpoint_function.h"\n',
        })
        self.assertEqual(status, 1)
        self.assertIn("core/models/unet/unet_3d.cpp:3: core/models (layer 4) -> core/training (layer 8)", output)

    def test_siblings_may_not_include_each_other(self):
        status, output = self.run_on({"core/io/reader.cpp": '#include "core/video/video_reader.h"\n'})
        self.assertEqual(status, 1)
        self.assertIn("core/io/reader.cpp:1: core/io (layer 2) -> core/video (layer 2): includes a sibling", output)

    def test_core_never_includes_qt_and_ui_never_includes_libtorch(self):
        status, output = self.run_on({
            "core/jobs/job.h": "#include <QString>\n#include <QtCore/QObject>\n",
            "ui/worker.cpp": "#include <torch/torch.h>\n#include <ATen/ATen.h>\n#include <c10/core/Device.h>\n",
        })
        self.assertEqual(status, 1)
        for expected in ("core/jobs/job.h:1: core/jobs -> Qt <QString>", "core/jobs/job.h:2: core/jobs -> Qt",
                         "ui/worker.cpp:1: ui -> LibTorch <torch/torch.h>", "ui/worker.cpp:2: ui -> LibTorch",
                         "ui/worker.cpp:3: ui -> LibTorch"):
            self.assertIn(expected, output)

    def test_a_folder_missing_from_the_table_is_an_error(self):
        status, output = self.run_on({
            "core/metrics/psnr.cpp": "#include <cmath>\n",
            "core/util/x.cpp": '#include "core/toys/world.h"\n',
        })
        self.assertEqual(status, 1)
        self.assertIn("core/metrics/psnr.cpp: core/metrics is not in the layer table", output)
        self.assertIn("core/util/x.cpp:1: core/util (layer 0) -> core/toys (not in the table)", output)

    def test_settings_sits_just_above_util(self):
        status, output = self.run_on({
            "core/settings/settings.cpp": '#include "core/util/error.h"\n',
            "core/io/x.cpp": '#include "core/settings/settings.h"\n',
        })
        self.assertEqual(status, 0, output)
        status, output = self.run_on({"core/settings/settings.cpp": '#include "core/io/dtype.h"\n'})
        self.assertEqual(status, 1)

    def test_app_is_above_ui_and_ui_above_core(self):
        status, output = self.run_on({
            "ui/panel.cpp": '#include "app/cli/options.h"\n',
            "core/pipelines/p.cpp": '#include "ui/panel.h"\n',
        })
        self.assertEqual(status, 1)
        self.assertIn("ui/panel.cpp:1: ui (layer 13) -> app (layer 14)", output)
        self.assertIn("core/pipelines/p.cpp:1: core/pipelines (layer 6) -> ui (layer 13)", output)

    def test_an_empty_root_is_a_usage_error(self):
        status, output = self.run_on({"README.md": "nothing to check\n"})
        self.assertEqual(status, 2)
        self.assertIn("wrong --root", output)


if __name__ == "__main__":
    unittest.main()
