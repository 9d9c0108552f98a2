"""IRS Modernized e-File (MeF) XML: the Form 990-T return of each package and Form 8868 extensions.

- `returns.build_return` — 990-T.xml from the account object (return.json), the year's element map
  (schemas/efile/map-<year>.yaml) and the custodian settings (`custodian`);
- `form8868.build_extension` — 8868.xml; `reader` — lines back out of an XML file (`udfi efile show`);
- `xsd.validate` — against the IRS schema package when the user has it (`udfi efile validate`).
"""
