"""Which property and loan each imported row belongs to, checked against the book.

A row's property comes from its rule (``property_id: '{prop}'`` from the account name) or, when the
rule gives none, from the export's property column (AppFolio, Buildium). Either way the name the
export uses is resolved to the book's ``property_id``: an existing property_id as it is, else the
property map (profile ``lookups.property_id`` plus ``--property-map``), else a property whose
description, or the street part of it (before the first comma), is that name (printed, so the match
can be checked). A loan row whose rule names only a loan gets the loan's property from loans.csv; a
loan row that names no loan gets its property's only loan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from udfi.imports.amounts import parse_money
from udfi.imports.problems import ImportProblem
from udfi.imports.profile import LOAN_CATEGORIES


@dataclass
class References:
    property_id: pd.Series
    loan_id: pd.Series
    problems: list[ImportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unmapped_properties: dict[str, list[int]] = field(default_factory=dict)
    originations: dict[str, tuple[dt.date, int]] = field(default_factory=dict)  # loan → (made on, principal)


def _normal(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def property_resolver(mapping: dict[str, str], properties: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, str]]:
    """(exact names → property_id, normalized description/street → property_id)."""
    exact: dict[str, str] = {}
    fuzzy: dict[str, str] = {}
    if properties is not None and "property_id" in properties.columns:
        exact.update({pid: pid for pid in properties["property_id"]})
        if "description" in properties.columns:
            streets: dict[str, list[str]] = {}
            for description, pid in zip(properties["description"], properties["property_id"]):
                if description:
                    fuzzy[_normal(description)] = pid
                    streets.setdefault(_normal(description.split(",")[0]), []).append(pid)
            for street, ids in streets.items():
                if len(ids) == 1:  # a street shared by two properties (units) is no match
                    fuzzy.setdefault(street, ids[0])
    exact.update(mapping)
    return exact, fuzzy


def unknown_properties(names: pd.Series, rows: np.ndarray, mapping: dict[str, str],
                       properties: pd.DataFrame | None) -> dict[str, list[int]]:
    """Source property names that resolve to no property_id → their rows."""
    if properties is None:
        return {}
    exact, fuzzy = property_resolver(mapping, properties)
    unknown: dict[str, list[int]] = {}
    for name, row in zip(names, rows):
        if name and name not in exact and _normal(name) not in fuzzy:
            unknown.setdefault(name, []).append(int(row))
    return unknown


def _groups(mask: pd.Series, rows: np.ndarray, **columns: pd.Series):
    frame = pd.DataFrame({name: series[mask] for name, series in columns.items()})
    frame["row"] = rows[mask.to_numpy(dtype=bool)]
    keys = list(columns)
    return frame.groupby(keys if len(keys) > 1 else keys[0], sort=True)


def resolve(wanted: pd.Series, account: pd.Series, category: pd.Series, from_rule: pd.Series, loan_id: pd.Series,
            from_column: pd.Series | None, column_name: str | None, rows: np.ndarray, mapping: dict[str, str],
            loans: pd.DataFrame | None, properties: pd.DataFrame | None) -> References:
    refs = References(from_rule.copy(), loan_id.copy())
    exact, fuzzy = property_resolver(mapping, properties)
    raw = from_rule.copy()
    if from_column is not None:
        raw = raw.where(~(wanted & (raw == "") & (loan_id == "")), from_column)
    named = wanted & (raw != "")

    def lookup(names: pd.Series) -> pd.Series:
        found = names.map(exact).astype(object)
        guessed = names[found.isna()].map(lambda name: fuzzy.get(_normal(name))).astype(object)
        return found.fillna(guessed).fillna("")

    resolved = lookup(raw.where(named, ""))
    for name, pid in sorted({(n, p) for n, p in zip(raw[named], resolved[named]) if p and n not in exact}):
        refs.notes.append(f"property {name!r} in the export matched {pid} by its description in properties.csv")
    if properties is None:
        resolved = resolved.where(resolved != "", raw)  # nothing to check against: the names are the ids
    unknown = named & (resolved == "")
    for name, group in _groups(unknown, rows, name=raw):
        where = f"column {column_name!r}" if column_name and (from_column is not None and
                                                              (from_column[unknown] == name).any()) else "its rule"
        refs.problems.append(ImportProblem(
            f"property {name!r} (from {where}) is not a property_id of properties.csv, matches no description, and "
            "is not in the property map (lookups.property_id in the profile, or --property-map FILE.csv with "
            "columns source_property,property_id)", group["row"].tolist(), column=column_name if where != "its rule"
            else None))
        refs.unmapped_properties[name] = group["row"].tolist()
    refs.property_id = resolved

    if loans is not None and {"loan_id", "property_id"} <= set(loans.columns):
        column_property = lookup(from_column) if from_column is not None else None
        _loans(refs, wanted, account, category, rows, loans, column_property)
    missing = wanted & (refs.property_id == "") & ~unknown
    if missing.any():
        refs.problems.append(ImportProblem("no property_id for the row (its rule gives only a loan_id and the loan "
                                           "is not in the book's loans.csv)", rows[missing.to_numpy()].tolist()))
    no_loan = wanted & category.isin(LOAN_CATEGORIES) & (refs.loan_id == "") & (refs.property_id != "")
    if no_loan.any() and loans is None:
        refs.problems.append(ImportProblem("a loan row names no loan_id and the book has no loans.csv to find the "
                                           "property's loan", rows[no_loan.to_numpy()].tolist()))
    return refs


def _loans(refs: References, wanted, account, category, rows, loans: pd.DataFrame,
           column_property: pd.Series | None) -> None:
    loan_property = loans.drop_duplicates("loan_id").set_index("loan_id")["property_id"]
    loan_id = refs.loan_id
    by_loan = loan_id.map(loan_property).fillna("")
    if column_property is not None:  # the property column and the loan's property must agree
        clash = wanted & (loan_id != "") & (by_loan != "") & (column_property != "") & (column_property != by_loan)
        for (name, loan, prop), group in _groups(clash, rows, a=account, l=loan_id, p=column_property):
            refs.problems.append(ImportProblem(f"source account {name!r} maps to loan_id {loan!r} of property "
                                               f"{loan_property[loan]!r}, but the row's property is {prop!r}",
                                               group["row"].tolist(), name))
    refs.property_id = refs.property_id.where(refs.property_id != "", by_loan)
    unknown = wanted & (loan_id != "") & ~loan_id.isin(set(loan_property.index))
    for (name, loan), group in _groups(unknown, rows, a=account, l=loan_id):
        refs.problems.append(ImportProblem(f"source account {name!r} maps to loan_id {loan!r}, which is not in "
                                           "loans.csv", group["row"].tolist(), name))
    orphan = wanted & category.isin(LOAN_CATEGORIES) & (loan_id == "") & (refs.property_id != "")
    if orphan.any():  # the property's only loan (AppFolio-style "Mortgage Payment" per property)
        loans_of = loans.groupby("property_id")["loan_id"].agg(list).to_dict()
        only = refs.property_id[orphan].map(lambda pid: loans_of[pid][0] if len(loans_of.get(pid, [])) == 1 else "")
        refs.loan_id = loan_id.where(~orphan, only).fillna("")
        still = orphan & (refs.loan_id == "")
        for prop, group in _groups(still, rows, p=refs.property_id):
            refs.problems.append(ImportProblem(
                f"a loan row of property {prop!r} names no loan_id and the property has "
                f"{len(loans_of.get(prop, []))} loans in loans.csv; give `loan_id` on the profile rule",
                group["row"].tolist()))
    for record in loans.to_dict("records"):
        try:
            cents, _ = parse_money(pd.Series([record.get("principal", "")]))
            refs.originations[record["loan_id"]] = (dt.date.fromisoformat(record.get("originated_on", "")),
                                                    int(cents.iat[0]))
        except ValueError:
            continue  # udfi validate reports a malformed loans.csv
