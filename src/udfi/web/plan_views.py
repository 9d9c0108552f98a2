"""Plan a purchase: the terms form → the engine's projection side by side, with a chart; the generated
book as a download; and `POST /api/plan` (JSON terms → JSON projection)."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import Flask, Response, jsonify, render_template, request

from udfi.plan import PlanError, PlanInputError, compute_plan, parse_terms, plan_csv_files
from udfi.plan.chart import plan_chart_svg
from udfi.plan.terms import ACCOUNT_TYPES, PROPERTY_TYPES, parameter_years
from udfi.web.app import zip_bytes

# The form's starting values: a plain example purchase, replaced by whatever the user submits.
EXAMPLE_TERMS = {"price": "300000", "closing_costs": "6000", "land_share": "20", "loan_amount": "", "ltv": "60",
                 "rate": "7", "term_years": "30", "rent_monthly": "2400", "vacancy": "5", "expenses_annual": "7200",
                 "growth": "2", "hold_years": "5", "appreciation": "3", "selling_costs": "6",
                 "account_type": "traditional_ira", "property_type": "residential_rental", "recovery": "ads",
                 "first_year": ""}


def _form_values() -> dict:
    return {name: (request.form.get(name) or "").strip() for name in EXAMPLE_TERMS}


def _render(values: dict, projection: dict | None = None, problems: dict | None = None, status: int = 200):
    chart = plan_chart_svg(projection) if projection else None
    return render_template("plan.html.j2", values=values, projection=projection, chart=chart,
                           problems=problems or {}, account_types=ACCOUNT_TYPES, property_types=PROPERTY_TYPES,
                           years=parameter_years()), status


def register(app: Flask) -> None:
    @app.get("/plan")
    def plan_form():
        return _render(dict(EXAMPLE_TERMS))

    @app.post("/plan")
    def plan_page():
        values = _form_values()
        try:
            projection = compute_plan(parse_terms(values)).as_json()
        except PlanInputError as exc:
            return _render(values, problems=exc.problems, status=400)
        except PlanError as exc:
            return _render(values, problems={"": str(exc)}, status=422)
        return _render(values, projection)

    @app.post("/plan/book.zip")
    def plan_book():
        values = _form_values()
        try:
            terms = parse_terms(values)
        except PlanInputError as exc:
            return _render(values, problems=exc.problems, status=400)
        return Response(zip_bytes("planned-book", plan_csv_files(terms)), mimetype="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="planned-book.zip"'})

    @app.post("/api/plan")
    def plan_api():
        try:
            # numbers are read as Decimal: never a binary float on the way to a figure
            terms_in = json.loads(request.get_data(as_text=True) or "null", parse_float=Decimal)
        except ValueError as exc:
            return jsonify({"error": f"the body is not JSON ({exc})"}), 400
        if not isinstance(terms_in, dict):
            return jsonify({"error": "expected a JSON object of purchase terms, e.g. {\"price\": 300000, ...}"}), 400
        unknown = sorted(set(terms_in) - set(EXAMPLE_TERMS))
        if unknown:
            return jsonify({"error": "unknown terms", "problems": {name: "not a term of the planner (known: "
                                                                         + ", ".join(EXAMPLE_TERMS) + ")"
                                                                  for name in unknown}}), 400
        try:
            projection = compute_plan(parse_terms(terms_in)).as_json()
        except PlanInputError as exc:
            return jsonify({"error": "invalid terms", "problems": exc.problems}), 400
        except PlanError as exc:
            return jsonify({"error": str(exc)}), 422
        return jsonify(projection)
