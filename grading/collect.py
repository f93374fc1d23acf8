"""Collect submissions from a folder or a zip of files named by student (nbgrader's zip_collect).

Submissions that arrive through nbgrader's exchange (``nbgrader collect``) or are copied by
hand are already in nbgrader's layout, ``grading/submitted/<student>/<assignment>/<assignment>.ipynb``,
and need nothing from here. A download from a learning-management system instead is a
folder or a zip of files whose *names* say whose they are. Accepted by default:

* ``<student>_<assignment>.ipynb`` (e.g. ``alice_01_why_sigmoid.ipynb``), at any depth;
* ``<student>/<assignment>.ipynb`` (one folder per student), at any depth;
* zip files of either, inside the folder or the zip (nbgrader extracts them).

Other conventions: pass ``regexp``, nbgrader's ``FileNameCollectorPlugin.named_regexp``
with named groups ``student_id`` and ``file_id`` (the notebook's file name). It is matched
against the *full* path of each extracted file, so start it with ``.*/``.

Before anything is copied, every file is attributed here (after extracting with nbgrader's
own extractor, so the paths are the ones nbgrader will see): a file that cannot be
attributed to one student and one assignment stops the collection with a list of those
files and why (``skip_unattributable`` collects the rest and only warns). Then
``nbgrader zip_collect --strict --force`` is run once per assignment that has files, with
its working folders under ``grading/downloaded/``.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from grading import course

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
JUNK = ("__MACOSX", ".ipynb_checkpoints")


class CollectError(ValueError):
    """Some files could not be attributed to a student and an assignment."""


def default_regexp(assignments: list[str]) -> str:
    """``.../<student>_<assignment>.ipynb`` or ``.../<student>/<assignment>.ipynb`` under ``extracted/``."""
    names = "|".join(re.escape(name) for name in assignments)
    return rf".*/extracted/(?:[^/]+/)*?(?P<student_id>[^/]+?)[_/](?P<file_id>(?:{names})\.ipynb)$"


def _stage(source: Path, archive: Path) -> None:
    """Put ``source`` (a folder or an archive) where nbgrader's extractor looks for it."""
    archive.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, archive, dirs_exist_ok=True)
    elif source.is_file():
        shutil.copy2(source, archive / source.name)
    else:
        raise FileNotFoundError(f"nothing to collect at {source}")


def _extract(archive: Path, extracted: Path) -> None:
    from nbgrader.plugins.zipcollect import ExtractorPlugin

    extracted.mkdir(parents=True, exist_ok=True)
    ExtractorPlugin().extract(str(archive), str(extracted))


def attribute(extracted: Path, regexp: str, assignments: list[str]) -> tuple[dict, list[str]]:
    """``{(student, assignment): file}`` for every extracted file, and one problem line per other file."""
    pattern = re.compile(regexp)
    found: dict[tuple[str, str], list[Path]] = defaultdict(list)
    problems = []
    for path in sorted(p for p in extracted.rglob("*") if p.is_file()):
        relative = path.relative_to(extracted)
        if any(part in JUNK or part.startswith(".") for part in relative.parts):
            continue
        match = pattern.match(str(path))
        if not match:
            problems.append(f"{relative}: the name says neither whose nor which assignment it is")
            continue
        student, notebook = match.group("student_id"), Path(match.group("file_id")).name
        assignment = Path(notebook).stem
        if path.suffix != ".ipynb" or assignment not in assignments:
            problems.append(f"{relative}: {notebook!r} is not an assignment notebook ({', '.join(assignments)})")
        elif not STUDENT_ID.match(student):
            problems.append(f"{relative}: student id {student!r} may hold only letters, digits and . _ @ -")
        else:
            found[student, assignment].append(relative)
    for (student, assignment), files in sorted(found.items()):
        if len(files) > 1:
            problems.append(f"{student}/{assignment}: {len(files)} files ({', '.join(map(str, files))}); keep one")
    return {key: files[0] for key, files in found.items() if len(files) == 1}, problems


def collect(source: Path, root: Path = course.REPO_ROOT, *, regexp: str | None = None,
            skip_unattributable: bool = False, log=print) -> list[tuple[str, str]]:
    """Collect every submission in ``source`` into ``grading/submitted``; return ``(student, assignment)`` pairs."""
    root, source = Path(root).resolve(), Path(source).resolve()
    assignments = course.assignments(root)
    regexp = regexp or default_regexp(assignments)
    with tempfile.TemporaryDirectory(prefix="course-collect-") as scratch:
        _stage(source, Path(scratch) / "archive")
        _extract(Path(scratch) / "archive", Path(scratch) / "extracted")
        found, problems = attribute(Path(scratch) / "extracted", regexp, assignments)
    if problems:
        listing = "\n  ".join(problems)
        message = (f"{len(problems)} file(s) in {source} cannot be attributed to a student and an assignment:\n  "
                   f"{listing}\nName files <student>_<assignment>.ipynb or <student>/<assignment>.ipynb "
                   "(or pass --regexp)")
        if not skip_unattributable:
            raise CollectError(message + "; nothing was collected.")
        log("WARNING: " + message + "; collecting the others.")
    downloaded = root / "grading" / "downloaded"
    for assignment in sorted({a for _, a in found}):
        work = downloaded / assignment
        shutil.rmtree(work, ignore_errors=True)
        _stage(source, work / "archive")
        course.run_nbgrader(
            root, "zip_collect", assignment, "--force", "--strict",
            "--ZipCollectApp.downloaded_directory=grading/downloaded",  # relative to the course root
            f"--FileNameCollectorPlugin.named_regexp={regexp}",
        )
    missing = [f"{s}/{a}" for s, a in found if not course.notebook_path(root, "grading/submitted", a, s).is_file()]
    if missing:
        raise CollectError(f"nbgrader zip_collect did not collect {', '.join(sorted(missing))}")
    log(f"collected {len(found)} submission(s) from {len(({s for s, _ in found}))} student(s) into "
        f"{root / 'grading' / 'submitted'}")
    return sorted(found)
