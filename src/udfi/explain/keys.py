"""The form-line keys of an account object and their values."""

from __future__ import annotations

ATTACHED_FORMS = ("form_4797", "schedule_d")  # their total lines are keys too; rows are explained per property


def line_keys(account: dict) -> list[str]:
    """Every form-line key of an account object (docs/return-json.md), in form order."""
    keys = []
    for item in account["properties"]:
        keys += [f"schedule_a.part_v.{item['property_id']}.{line}" for line in item["part_v"]]
    for part, lines in account["schedule_a"].items():
        keys += [f"schedule_a.{part}.{line}" for line in lines]
    for entry in account.get("schedules_a") or []:   # the partnership silos' Schedules A
        if entry["silo"] != "investment_activities":
            keys += [f"schedules_a.{entry['sequence']}.{part}.{line}" for part in ("part_i", "part_ii")
                     for line in entry["schedule_a"][part]]
    for part, lines in account["form_990t"].items():
        for line, value in lines.items():
            if isinstance(value, list):
                keys += [f"form_990t.{part}.{line}.{row['activity_code']}" for row in value]
            else:
                keys.append(f"form_990t.{part}.{line}")
    for form in ATTACHED_FORMS:
        for part, lines in (account.get(form) or {}).items():
            keys += [f"{form}.{part}.{line}" for line, value in lines.items() if isinstance(value, int)]
    return keys


def line_value(account: dict, key: str):
    """The value of a form-line key in an account object."""
    parts = key.split(".")
    if parts[0] == "schedule_a" and parts[1] == "part_v" and len(parts) >= 4:
        line = parts[-1]
        property_id = ".".join(parts[2:-1])
        for item in account["properties"]:
            if item["property_id"] == property_id:
                return item["part_v"][line]
        raise KeyError(key)
    if parts[0] == "schedules_a":
        entry = next(item for item in account["schedules_a"] if str(item["sequence"]) == parts[1])
        return entry["schedule_a"][parts[2]][parts[3]]
    if parts[0] == "form_990t" and parts[1] == "part_iv" and parts[2] == "5":
        code = ".".join(parts[3:])
        return next(row["amount"] for row in account["form_990t"]["part_iv"]["5"] if row["activity_code"] == code)
    return account[parts[0]][parts[1]][parts[2]]
