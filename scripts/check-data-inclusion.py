#!/usr/bin/env python3
"""Validates a data·inclusion export (DIR/structures.json and DIR/services.json) with the
reference models of the PyPI package `data-inclusion-schema` (pydantic), warnings included.

Usage: check-data-inclusion.py DIR [--at-least N]
Prints the counts; on any error, the first ones (record, field, reason) and exit status 1.
"""
import json
import sys
from pathlib import Path

import pydantic
from data_inclusion.schema.v1 import Service, Structure


def check(path: Path, model) -> tuple[list, list[str]]:
    records = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(records, list):
        return [], [f"{path.name} : un tableau JSON est attendu"]
    errors = []
    valid = []
    for i, record in enumerate(records, start=1):
        try:
            # `ignore_warnings: False`: the schema's warnings (a name ending with a dot…) count.
            valid.append(model.model_validate(record, context={"ignore_warnings": False}))
        except pydantic.ValidationError as e:
            for err in e.errors():
                field = ".".join(str(p) for p in err["loc"])
                errors.append(f"{path.name}, enregistrement {i}, champ « {field} » : {err['msg']}")
    return valid, errors


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(sys.argv[1])
    at_least = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--at-least" else 1
    structures, errors = check(folder / "structures.json", Structure)
    services, service_errors = check(folder / "services.json", Service)
    errors += service_errors
    ids = {s.id for s in structures}
    orphans = [s.id for s in services if s.structure_id not in ids]
    if orphans:
        errors.append(f"services.json : {len(orphans)} service(s) sans structure ({orphans[:3]})")
    if len({s.id for s in services}) != len(services):
        errors.append("services.json : identifiants en double")
    if len(ids) != len(structures):
        errors.append("structures.json : identifiants en double")
    if len(structures) < at_least:
        errors.append(f"{len(structures)} structure(s), au moins {at_least} attendue(s)")
    print(
        f"data·inclusion (modèles de data-inclusion-schema) : {len(structures)} structure(s), "
        f"{len(services)} service(s), {len(errors)} erreur(s)"
    )
    for e in errors[:20]:
        print(f"  {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
