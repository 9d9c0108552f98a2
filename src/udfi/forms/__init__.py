"""Official IRS Form 990-T and Schedule A (Form 990-T) PDFs, filled from an account object.

- `udfi.forms.blanks`: find_blanks / fetch_blanks / MissingBlankError (where the IRS blanks are).
- `udfi.forms.fill`: fill_return(account, tax_year, blanks, flatten=False) -> PDF bytes.
- `udfi.forms.fieldmap_gen`: proposes schemas/fieldmaps/<form>-<year>.yaml from a blank's XFA captions.
- `udfi.cli.forms`: `udfi forms list` and `udfi forms fetch YEAR`.
"""
