"""Derivations of loan balances and acquisition shares."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from udfi.money import percent_str
from udfi.statements.figures import CITE

from udfi.explain.base import DerivationBase, _m


class LoanDerivations(DerivationBase):
    def loan_share(self, loan) -> str:
        key = f"loan.{loan.loan_id}.acquisition_share"
        if key in self.nodes:
            return key
        loans_csv = self._rows_of("loans", loan_id=loan.loan_id)
        source = self._source("loans", loans_csv, loan_id=loan.loan_id)
        share = percent_str(loan.acquisition_fraction)
        if loan.purpose in ("acquisition", "improvement"):
            return self.add(key, share, f"a loan made to {'acquire' if loan.purpose == 'acquisition' else 'improve'} "
                            "the property is acquisition indebtedness in full (100%)",
                            {"purpose": loan.purpose}, "IRC §514(c)(1); Treas. Reg. §1.514(c)-1(a)", source=source)
        if loan.purpose == "other":
            return self.add(key, share, "a loan not made to acquire or improve the property is not acquisition "
                            "indebtedness (0%)", {"purpose": loan.purpose}, "IRC §514(c)(1)", source=source)
        old = next((item for item in self._all_loans() if item.loan_id == loan.refinances), None)
        inputs = {"purpose": "refinance", "new principal": _m(loan.principal)}
        if old is not None:
            inputs["refinances"] = self.ref(self.loan_share(old))
            inputs[f"{old.loan_id} outstanding when refinanced ({old.retired_on.isoformat() if old.retired_on else '?'})"] = \
                _m(old.balance_before_retirement())
        return self.add(key, share, "old loan's outstanding acquisition debt (its balance × its share), up to the new "
                        "principal, ÷ new principal; the share stays fixed because later repayments are apportioned "
                        "pro rata", inputs, CITE["interest"], source=source)

    def _all_loans(self):
        return [loan for column in self.result.property_years for loan in column.facts.loans]

    def loan_balance(self, loan, day: dt.date) -> str:
        """Acquisition indebtedness of one loan at the start of `day`."""
        key = f"loan.{loan.loan_id}.acquisition_balance.{day.isoformat()}"
        if key in self.nodes:
            return key
        value = loan.acquisition_balance(day)
        share = self.ref(self.loan_share(loan))
        if day < loan.originated_on:
            return self.add(key, _m(value), f"the loan was made later ({loan.originated_on.isoformat()})",
                            {"originated_on": loan.originated_on.isoformat()}, CITE["aai"])
        if loan.retired_on is not None and day >= loan.retired_on:
            return self.add(key, _m(value), f"the loan was refinanced on {loan.retired_on.isoformat()}",
                            {"retired_on": loan.retired_on.isoformat()}, "IRC §514(c)(3)")
        in_effect = loan.statement_in_effect(day)
        if in_effect is not None:
            as_of, stated = in_effect
            statement_rows = self._rows_of("loan_balances", loan_id=loan.loan_id, as_of=pd.Timestamp(as_of))
            before_statement = set(self._principal_rows_before(loan.loan_id, as_of))
            later = [row for row in self._principal_rows_before(loan.loan_id, day) if row not in before_statement]
            repaid_since = loan.ledger_balance(as_of) - loan.ledger_balance(day)
            return self.add(key, _m(value), f"(balance on the lender's statement of {as_of.isoformat()} − principal "
                            "repaid in the ledger since then) × acquisition share — a statement sets the balance from "
                            "its date on", {"statement balance": _m(stated), "principal repaid since the statement":
                                            _m(repaid_since), "acquisition share": share},
                            CITE["aai"], source={**self._source("loan_balances", statement_rows, loan_id=loan.loan_id,
                                                                as_of=as_of.isoformat()),
                                                 "repayment_rows": self._source("ledger", later, loan_id=loan.loan_id,
                                                                                category="principal",
                                                                                since=as_of.isoformat())})
        repaid = loan.principal - loan.ledger_balance(day)
        rows = self._principal_rows_before(loan.loan_id, day)
        return self.add(
            key, _m(value), "(principal − principal repaid before the day) × acquisition share, to the cent",
            {"principal (loans)": _m(loan.principal), "principal repaid before the day": _m(repaid),
             "acquisition share": share},
            CITE["aai"], source=self._source("ledger", rows, loan_id=loan.loan_id, category="principal",
                                             before=day.isoformat()))
