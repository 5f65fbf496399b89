// A job's progress: the rate and ETA of a resumed stage count only the units this
// run did (a toy-world stage resumed at 2500 of 3000 once promised the rest in 3 s).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "core/jobs/job.h"

namespace sm::jobs {
namespace {

TEST(JobProgress, AResumedStageRatesOnlyTheUnitsDoneInThisRun) {
  std::vector<Progress> seen;
  JobListener listener;
  listener.onProgress = [&](const Progress& p) { seen.push_back(p); };
  JobContext job(listener);
  job.beginStage("training", 100, 90);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done, 90);
  EXPECT_EQ(seen.back().secondsPerUnit, 0.0) << "no unit done by this run yet";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  job.progress(91);
  const Progress p = seen.back();
  EXPECT_EQ(p.done, 91);
  // One unit in >= 50 ms: counting the 90 resumed ones would make it < 1 ms.
  EXPECT_GE(p.secondsPerUnit, 0.045);
  EXPECT_NEAR(p.etaSeconds, p.secondsPerUnit * 9, 1e-9);
}

TEST(JobProgress, AFreshStageRatesEveryUnit) {
  Progress last;
  JobListener listener;
  listener.onProgress = [&](const Progress& p) { last = p; };
  JobContext job(listener);
  job.beginStage("denoising", 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  job.progress(2);
  EXPECT_GE(last.secondsPerUnit, 0.018);
  EXPECT_NEAR(last.etaSeconds, last.secondsPerUnit * 2, 1e-9);
}

}  // namespace
}  // namespace sm::jobs
