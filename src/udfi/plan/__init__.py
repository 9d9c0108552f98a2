"""Plan a leveraged purchase: purchase terms → a generated book → the engine, year by year, for an IRA
with the loan, a Solo 401(k) with the loan and the same property bought for cash."""

from udfi.plan.book import plan_csv_files, plan_tables, scenarios
from udfi.plan.projection import PlanError, Projection, compute_plan
from udfi.plan.terms import PlanInputError, PlanTerms, parse_terms

__all__ = ["PlanError", "PlanInputError", "PlanTerms", "Projection", "compute_plan", "parse_terms",
           "plan_csv_files", "plan_tables", "scenarios"]
