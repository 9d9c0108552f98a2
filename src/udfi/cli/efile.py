"""`udfi efile show FILE` / `udfi efile validate FILE --xsd DIR`: read and check MeF XML files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

efile_app = typer.Typer(help="MeF e-file XML: show a return's lines, validate against the IRS schemas.",
                        no_args_is_help=True)


def _label(key: str) -> str:
    return key  # the account-object key (docs/return-json.md), list positions filled in


@efile_app.command("show")
def show_command(file: Path = typer.Argument(..., help="A 990-T.xml or 8868.xml file.")) -> None:
    """Print the return's header and every line udfi's element map knows, as the XML has them."""
    from udfi.efile.reader import EfileReadError, mapped_lines, parse, placeholder_version  # noqa: PLC0415

    try:
        parsed = parse(file)
        lines = mapped_lines(parsed)
    except EfileReadError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    header = parsed.header_text
    typer.echo(f"{file}: Form {parsed.return_type or '?'} for tax year {parsed.tax_year}, "
               f"returnVersion {parsed.return_version or '?'}"
               + ("  (placeholder version: set the transmitter's schema version before sending)"
                  if placeholder_version(parsed) else ""))
    typer.echo(f"filer: {header('Filer/BusinessName/BusinessNameLine1Txt')} {header('Filer/BusinessName/BusinessNameLine2Txt')}"
               .rstrip() + f" — EIN {header('Filer/EIN')[:2]}-{header('Filer/EIN')[2:]}, "
               f"name control {header('Filer/BusinessNameControlTxt') or '?'}")
    typer.echo(f"period: {header('TaxPeriodBeginDt')} to {header('TaxPeriodEndDt')}; "
               f"return timestamp {header('ReturnTs') or '?'}")
    officer = header("BusinessOfficerGrp/PersonNm")
    typer.echo(f"officer: {officer + ', ' + header('BusinessOfficerGrp/PersonTitleTxt') if officer else '(none)'}; "
               f"preparer: {header('PreparerPersonGrp/PreparerPersonNm') or '(none)'}")
    documents = ", ".join(name for name, _, _ in parsed.documents)
    typer.echo(f"documents ({len(parsed.documents)}): {documents}")
    width = max((len(_label(line.key)) for line in lines), default=10)
    current = None
    for line in lines:
        title = f"{line.document}" + (f" #{line.sequence}" if line.document == "IRS990TScheduleA" else "")
        if title != current:
            typer.echo(f"\n{title}")
            current = title
        typer.echo(f"  {_label(line.key):<{width}}  {line.text:>14}  {line.element}")


@efile_app.command("validate")
def validate_command(
    file: Path = typer.Argument(..., help="A 990-T.xml or 8868.xml file."),
    xsd: Path = typer.Option(..., "--xsd", help="The unpacked IRS MeF schema package (registered developers)."),
    schema: Optional[str] = typer.Option(None, "--schema", help="The entry schema inside DIR, if several "
                                                                  "declare Return."),
) -> None:
    """Validate FILE against the IRS schema package: exit 0 valid, 1 invalid, 2 unusable schema folder."""
    from udfi.efile.reader import EfileReadError, parse  # noqa: PLC0415
    from udfi.efile.xsd import SchemaError, entry_schema, validate  # noqa: PLC0415

    try:
        parsed = parse(file)
        schema_path = entry_schema(xsd, parsed.return_type, schema)
        findings = validate(file, schema_path)
    except EfileReadError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except SchemaError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if not findings:
        typer.echo(f"{file}: valid against {schema_path}")
        return
    for finding in findings[:200]:
        typer.echo(f"{file}:{finding.line}: {finding.message}")
    typer.echo(f"{file}: INVALID — {len(findings)} problem(s) against {schema_path}", err=True)
    raise typer.Exit(1)
