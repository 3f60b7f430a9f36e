"""WSGI entry point. Uploads are served through WSGI: under ASGI Django spools bodies to /tmp in plaintext."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strongroom.settings")
application = get_wsgi_application()
