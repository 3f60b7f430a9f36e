"""Raw SQL that differs per database, for the migrations that install the append-only triggers."""

from collections.abc import Callable
from typing import Any


def run_by_vendor(statements: dict[str, list[str]]) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run
