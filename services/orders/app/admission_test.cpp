#include "orders/app/admission.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "observability/metrics.hpp"

namespace kpo::orders {
namespace {

// Without a measurement admissions are unbounded, so what is under test is the in-flight bound.
TEST(AdmissionTest, NoMoreThanTheBoundAreInHandAndAnAnsweredOneMakesRoom) {
  Admission admission({.database_url = "", .bounds = {}, .max_in_flight = 2});
  std::vector<std::shared_ptr<void>> tickets(3);
  EXPECT_EQ(admission.Admit(tickets[0]), Admission::Refusal::kNone);
  EXPECT_EQ(admission.Admit(tickets[1]), Admission::Refusal::kNone);
  EXPECT_EQ(admission.Admit(tickets[2]), Admission::Refusal::kInFlight);
  EXPECT_EQ(tickets[2], nullptr);
  EXPECT_EQ(admission.InFlight(), 2);

  tickets[0].reset();  // answered
  EXPECT_EQ(admission.InFlight(), 1);
  EXPECT_EQ(admission.Admit(tickets[2]), Admission::Refusal::kNone);
  EXPECT_EQ(admission.InFlight(), 2);
  tickets.clear();
  EXPECT_EQ(admission.InFlight(), 0);
}

TEST(AdmissionTest, WithoutABoundNothingIsCounted) {
  Admission admission({.database_url = "", .bounds = {}, .max_in_flight = 0});
  std::vector<std::shared_ptr<void>> tickets(100);
  for (auto& ticket : tickets) EXPECT_EQ(admission.Admit(ticket), Admission::Refusal::kNone);
  EXPECT_EQ(admission.InFlight(), 0);
}

// No test here makes admission refuse for the pipeline (nothing is measured), so the series can only
// be there because the constructor registered it.
TEST(AdmissionTest, TheRefusalSeriesAreExposedAtZeroBeforeTheFirstRefusal) {
  const Admission admission({.database_url = "", .bounds = {}, .max_in_flight = 0});
  const auto metrics = observability::Registry::Global().Render();
  EXPECT_NE(metrics.find(R"(orders_admission_refusals_total{reason="pipeline_behind"} 0)"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find(R"(orders_admission_refusals_total{reason="in_flight"})"), std::string::npos);
}

}  // namespace
}  // namespace kpo::orders
