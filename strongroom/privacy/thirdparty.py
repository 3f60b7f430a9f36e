"""Data map declarations for models Strongroom installs but does not own."""

from strongroom.privacy.datamap import DataMap, declare


def declare_all() -> None:
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
