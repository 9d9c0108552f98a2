"""Source account names → ledger category, property and loan, by the profile's rules (first match wins).

Rules are matched against the distinct account names (a loop over rules, not rows) and the result
is merged back onto the rows, so a large export costs one pass per rule."""

from __future__ import annotations

import pandas as pd

from udfi.imports.profile import CREDIT_NORMAL, CREDIT_POSITIVE, TEMPLATE_FIELD, Profile


def _render(template: str | None, groups: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Fill `{group}` fields from regex capture columns, vectorized over the matched accounts."""
    if template is None:
        return pd.Series("", index=index, dtype=object)
    pieces = TEMPLATE_FIELD.split(template)  # literal, field, literal, field, …
    out = pd.Series(pieces[0], index=index, dtype=object)
    for i in range(1, len(pieces), 2):
        out = out + groups[pieces[i]].fillna("").str.strip() + pieces[i + 1]
    return out


def map_accounts(names: pd.Series, profile: Profile) -> pd.DataFrame:
    """Distinct account names → matched / skip / category / property_id / loan_id / sign / normal."""
    result = pd.DataFrame({"account": names, "matched": False, "skip": False, "category": "",
                           "property_id": "", "loan_id": "", "sign": "", "normal": ""}, index=names.index)
    for rule in profile.rules:
        open_ = ~result["matched"]
        if not open_.any():
            break
        candidates = names[open_]
        if rule.exact is not None:
            hit = candidates == rule.exact
            groups = pd.DataFrame(index=candidates.index)
        else:
            hit = candidates.str.fullmatch(rule.regex.pattern, flags=rule.regex.flags).fillna(False).astype(bool)
            groups = (candidates.str.extract(rule.regex.pattern, flags=rule.regex.flags, expand=True)
                      if rule.regex.groupindex else pd.DataFrame(index=candidates.index))
        index = candidates.index[hit.to_numpy(dtype=bool)]
        if not len(index):
            continue
        groups = groups.loc[index]
        result.loc[index, "matched"] = True
        if rule.category is None:
            result.loc[index, "skip"] = True
            continue
        result.loc[index, "category"] = rule.category
        result.loc[index, "property_id"] = _render(rule.property_id, groups, index)
        result.loc[index, "loan_id"] = _render(rule.loan_id, groups, index)
        result.loc[index, "sign"] = rule.sign or ("credit" if rule.category in CREDIT_POSITIVE else "debit")
        result.loc[index, "normal"] = rule.normal or ("credit" if rule.category in CREDIT_NORMAL else "debit")
    if profile.loan_ids:
        result["loan_id"] = result["loan_id"].replace(profile.loan_ids)
    return result
