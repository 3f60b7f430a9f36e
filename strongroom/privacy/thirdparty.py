"""Data map declarations for models Strongroom installs but does not own."""

from strongroom.privacy.datamap import DataMap, declare


def declare_all() -> None:
    declare(
        "django_tasks_database.DBTaskResult",
        DataMap(not_personal={
            "id": "random identifier", "status": "state", "enqueued_at": "time", "started_at": "time",
            "finished_at": "time", "args_kwargs": "ids of the records a task works on, never their content",
            "priority": "setting", "task_path": "code name", "worker_ids": "process names",
            "queue_name": "code name", "backend_name": "code name", "run_after": "time",
            "return_value": "counts and ids, never personal data", "exception_class_path": "code name",
            "traceback": "code locations and messages; messages never carry personal data",
        }),
    )
    declare(
        "contenttypes.ContentType",
        DataMap(not_personal={"id": "identifier", "app_label": "code name", "model": "code name"}),
    )
    declare(
        "auth.Permission",
        DataMap(not_personal={"id": "identifier", "name": "permission name",
                              "content_type": "reference", "codename": "code name"}),
    )
    declare("auth.Group", DataMap(not_personal={"id": "identifier", "name": "group name"}))
    declare(
        "sessions.Session",
        DataMap(not_personal={
            "session_key": "random identifier",
            "session_data": "signed references to a staff user or a portal link; no personal data",
            "expire_date": "time",
        }),
    )
