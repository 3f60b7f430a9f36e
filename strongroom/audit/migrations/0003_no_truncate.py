"""Also refuse TRUNCATE of the events (PostgreSQL), and removal of the chain heads, which reveal
events cut from the end of a chain."""

from django.db import migrations

from strongroom.audit.migrations._vendor import run_by_vendor

SQLITE_UP = [
    """CREATE TRIGGER audit_chainhead_no_delete BEFORE DELETE ON audit_chainhead
       BEGIN SELECT RAISE(ABORT, 'audit chain heads cannot be removed'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER audit_chainhead_no_delete"]

POSTGRES_UP = [
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE FUNCTION audit_chainhead_keep() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION USING MESSAGE = 'audit chain heads cannot be removed: ' || TG_OP || ' refused';
       END $$""",
    """CREATE TRIGGER audit_chainhead_no_delete BEFORE DELETE ON audit_chainhead
       FOR EACH ROW EXECUTE FUNCTION audit_chainhead_keep()""",
    """CREATE TRIGGER audit_chainhead_no_truncate BEFORE TRUNCATE ON audit_chainhead
       FOR EACH STATEMENT EXECUTE FUNCTION audit_chainhead_keep()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER audit_chainhead_no_truncate ON audit_chainhead",
    "DROP TRIGGER audit_chainhead_no_delete ON audit_chainhead",
    "DROP FUNCTION audit_chainhead_keep()",
    "DROP TRIGGER audit_event_no_truncate ON audit_event",
]


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.RunPython(
            run_by_vendor({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            run_by_vendor({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
