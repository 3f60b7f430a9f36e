"""Receiving uploads without ever holding their plaintext on disk.

`SealingUploadHandler` (the only entry of FILE_UPLOAD_HANDLERS) seals each 64 KiB chunk of a file
as Django's multipart parser reads it, with a `BlobWriter`, into the blob store's incoming area.
Nothing is kept until the view finishes the writer inside its action.

Contract for a view that accepts files (`sealed_uploads` below does steps 1 and 5, and CSRF):

1. Before anything reads `request.POST` or `request.FILES` (CsrfViewMiddleware does, so the view
   MUST be `csrf_exempt` and check CSRF itself *after* step 2, as `sealed_uploads` does), it MUST
   say whose key seals the files and the limits: `set_upload_target(request, UploadTarget(...))`.
   A request without a target gets every file part refused: skipped unread, nothing stored,
   absent from request.FILES, noted in `upload_errors(request)`.
2. Each file in request.FILES is a `SealedUploadedFile`: `.name` (cleaned), `.size`, `.kind` (from
   the bytes, vault.filekinds), `.content_type` (canonical, from the bytes) and `.writer`, an
   unfinished `BlobWriter`. Its plaintext cannot be read back from it.
3. Files refused while streaming (over `max_size`, past `max_files`, not of `accepted_kinds`, in a
   field not listed, interrupted upload) are absent from request.FILES and their sealed bytes are
   already gone; `upload_errors(request)` lists them with a message fit to show.
4. To keep a file, its action calls `upload.writer.finish(...)` (or `upload.finish(actor=...)`)
   in its transaction; on any failure, `upload.writer.abort()`.
5. In a `finally`, the view MUST call `abort_unfinished(request)`: every writer the request
   started and did not keep is discarded (validation errors, exceptions, refused submissions).

Refusals use `SkipFile`, not `StopUpload`: the rest of the refused part is read and dropped, and
the other fields and files are parsed normally, so the view can answer with a form and a message.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import update_wrapper
from typing import Any, Concatenate, Final, NoReturn

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from strongroom.crypto.models import SubjectKey
from strongroom.vault.filekinds import accepts, content_type_for, sniff
from strongroom.vault.filenames import clean_filename
from strongroom.vault.models import Blob
from strongroom.vault.writer import HEAD_SIZE, BlobWriter, FileTooLarge

log = logging.getLogger(__name__)

_STATE_ATTR: Final = "_sealed_upload_state"

# Codes of UploadError, for views that want to react to one in particular.
NOT_EXPECTED: Final = "not_expected"
UNEXPECTED_FIELD: Final = "unexpected_field"
TOO_MANY: Final = "too_many"
TOO_LARGE: Final = "too_large"
NOT_ACCEPTED: Final = "not_accepted"
INTERRUPTED: Final = "interrupted"


@dataclass(frozen=True, kw_only=True)
class UploadTarget:
    """Whose key seals the files of this request, and what it may hold.

    `max_files` counts every file part of the request; `accepted_kinds` (FileKind values; empty or
    "any": all) and `field_names` (empty: any field) let the handler refuse early.
    """

    subject: SubjectKey
    max_size: int
    max_files: int
    workspace: Any = None
    accepted_kinds: tuple[str, ...] = ()
    field_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadError:
    field_name: str
    file_name: str  # cleaned, for the message only: never log it
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class _RequestState:
    writers: list[BlobWriter] = field(default_factory=list)
    errors: list[UploadError] = field(default_factory=list)
    files_seen: int = 0


def _state(request: HttpRequest | None) -> _RequestState:
    if request is None:
        return _RequestState()
    state = getattr(request, _STATE_ATTR, None)
    if state is None:
        state = _RequestState()
        setattr(request, _STATE_ATTR, state)
        request.upload_errors = state.errors  # type: ignore[attr-defined]
    assert isinstance(state, _RequestState)
    return state


def set_upload_target(request: HttpRequest, target: UploadTarget | None) -> None:
    """Same as `request.upload_target = target`, for typed code. MUST precede any POST access.

    Also makes `request.upload_errors` exist (empty) even when no file is sent. Raises
    RuntimeError if a multipart body was already parsed (its files were refused for want of a
    target): typically CsrfViewMiddleware did it, and the view needs `sealed_uploads`.
    """
    if hasattr(request, "_files") and request.content_type == "multipart/form-data":
        raise RuntimeError(
            "the upload target was set after the request body was read, so its files were refused; "
            "set it before anything reads request.POST (CsrfViewMiddleware does: use @sealed_uploads)"
        )
    request.upload_target = target  # type: ignore[attr-defined]
    _state(request)


def upload_errors(request: HttpRequest) -> list[UploadError]:
    """The files refused while this request was read (also `request.upload_errors`)."""
    return _state(request).errors


def abort_unfinished(request: HttpRequest) -> int:
    """Discard every file this request started and did not keep; return how many. Idempotent."""
    state = getattr(request, _STATE_ATTR, None)
    if not isinstance(state, _RequestState):
        return 0
    unfinished = 0
    for writer in state.writers:
        unfinished += not writer.finished
        writer.abort()
    return unfinished


class SealedUploadedFile(UploadedFile[bytes]):
    """A received file, sealed in the store's incoming area and not yet kept.

    Keep it with `finish(actor=...)` (or `writer.finish(...)`) inside an action; closing it, as
    Django does at the end of the request, discards it unless it was kept.
    """

    def __init__(self, writer: BlobWriter, *, field_name: str, name: str, size: int,
                 kind: str | None, content_type: str) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.writer = writer
        self.field_name = field_name
        self.kind = kind

    def finish(self, *, actor: Any, audit_extra: dict[str, Any] | None = None) -> Blob:
        assert self.name is not None and self.content_type is not None
        return self.writer.finish(name=self.name, content_type=self.content_type, actor=actor,
                                  audit_extra=audit_extra)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        raise io.UnsupportedOperation(
            "an upload's plaintext is not kept: finish its writer, then read it with read_blob()"
        )

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> SealedUploadedFile:
        # File.open would otherwise open whatever local file bears the upload's name.
        raise io.UnsupportedOperation("an upload's plaintext is not kept: read it with read_blob()")

    def close(self) -> None:
        self.writer.abort()

    def __repr__(self) -> str:
        return f"<SealedUploadedFile {self.kind or 'unknown'} {self.size} bytes {self.writer!r}>"


class SealingUploadHandler(FileUploadHandler):
    """Seals each file as it streams in; never writes plaintext anywhere. See the module docstring."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self._writer: BlobWriter | None = None
        self._target: UploadTarget | None = None
        self._kind_checked = False

    def new_file(self, field_name: str, file_name: str, content_type: str,
                 content_length: int | None, charset: str | None = None,
                 content_type_extra: dict[str, bytes] | None = None) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset,
                         content_type_extra)
        self._writer, self._kind_checked = None, False
        state = _state(self.request)
        state.files_seen += 1
        target = getattr(self.request, "upload_target", None)
        if not isinstance(target, UploadTarget):
            self._refuse(NOT_EXPECTED, _("Files cannot be sent here."))
        if target.field_names and field_name not in target.field_names:
            self._refuse(UNEXPECTED_FIELD, _("A file was sent where none was expected."))
        if state.files_seen > target.max_files:
            self._refuse(TOO_MANY, _("At most %(count)d file(s) can be sent at once; "
                                     "“%(name)s” was not received.")
                         % {"count": target.max_files, "name": self._clean_name()})
        if content_length is not None and content_length > target.max_size:
            self._refuse(TOO_LARGE, FileTooLarge(target.max_size, content_length).message)
        self._target = target
        self._writer = BlobWriter(target.subject, workspace=target.workspace, max_size=target.max_size)
        state.writers.append(self._writer)
        raise StopFutureHandlers  # the file is ours: no other handler may see its bytes

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        writer = self._writer
        if writer is None:
            raise SkipFile
        try:
            writer.write(raw_data)
        except FileTooLarge as exc:  # the writer discarded everything already
            self._writer = None
            self._refuse(TOO_LARGE, exc.message)
        except BaseException:
            self._abort_current()
            raise
        if not self._kind_checked and writer.size >= HEAD_SIZE and not self._kind_accepted(writer):
            self._abort_current()
            self._refuse(NOT_ACCEPTED, self._not_accepted_message())
        return None  # later handlers never see the plaintext

    def file_complete(self, file_size: int) -> SealedUploadedFile | None:
        writer, self._writer = self._writer, None
        if writer is None:
            return None
        if not self._kind_checked and not self._kind_accepted(writer):
            # Too late for SkipFile (the parser calls this outside its guard): just leave it out.
            writer.abort()
            self._note(NOT_ACCEPTED, self._not_accepted_message())
            return None
        head = writer.head
        kind = sniff(head, self.file_name or "")
        return SealedUploadedFile(writer, field_name=self.field_name, name=self._clean_name(),
                                  size=file_size, kind=kind, content_type=content_type_for(kind, head))

    def upload_interrupted(self) -> None:
        """The body ended inside a file: nothing of this request can be trusted to be whole.

        Django also calls this when the last file part was skipped (refused): nothing to do then.
        """
        if self._writer is None:
            return
        self._abort_current()
        state = _state(self.request)
        for writer in state.writers:
            writer.abort()
        self._note(INTERRUPTED, _("The upload was interrupted before it finished. Please send it again."))

    def _kind_accepted(self, writer: BlobWriter) -> bool:
        self._kind_checked = True
        if self._target is None or not self._target.accepted_kinds:
            return True
        return accepts(list(self._target.accepted_kinds), sniff(writer.head, self.file_name or ""))

    def _abort_current(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.abort()

    def _clean_name(self) -> str:
        return clean_filename(self.file_name or "")

    def _not_accepted_message(self) -> str:
        return _("“%(name)s” is not a kind of file accepted here.") % {"name": self._clean_name()}

    def _note(self, code: str, message: str) -> None:
        error = UploadError(getattr(self, "field_name", ""), self._clean_name(), code, message)
        _state(self.request).errors.append(error)
        log.info("upload refused: %s", code)

    def _refuse(self, code: str, message: str) -> NoReturn:
        """Note the refusal and skip the rest of this file part (nothing of it is kept)."""
        self._note(code, message)
        raise SkipFile(code)


def sealed_uploads[**P](
    resolve_target: Callable[Concatenate[HttpRequest, P], UploadTarget | None],
) -> Callable[[Callable[Concatenate[HttpRequest, P], HttpResponseBase]],
              Callable[Concatenate[HttpRequest, P], HttpResponseBase]]:
    """Decorate a view that accepts files: the contract's steps 1, 2 and 5 done in order.

    `resolve_target(request, *args, **kwargs)` runs first (after authentication middleware, before
    the CSRF check reads the body) and MUST do the view's own access checks (404 on mismatch); it
    returns the target, or None to refuse every file. Then CSRF is checked, the view runs, and
    every writer it did not finish is discarded, whatever happened.
    """

    def decorate(
        view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
        protected = csrf_protect(view)

        def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            try:
                set_upload_target(request, resolve_target(request, *args, **kwargs))
                return protected(request, *args, **kwargs)
            finally:
                abort_unfinished(request)

        update_wrapper(wrapper, view)
        return csrf_exempt(wrapper)

    return decorate
