"""Data sources: how an engagement declares them, which files they hold, and reading those files
into raw records. Bad files never raise; they come back as ReadErrors with the reason.

The one home of these rules: notebook 00 counts, the data checks read and the reference system
ingests exactly the same files. Formats: Markdown (front matter optional), HTML from any generator
(main content only), JSON (an object, an array, JSON Lines, or records under a path), plain text,
PDF (its text layer) and DOCX. Sources may map field names and declare defaults for documents that
carry no metadata (an id from the path, groups per folder, the file's date).
"""

from playbook.sources.compilations import Compilation, compilation_pages
from playbook.sources.model import (
    EXTENSIONS,
    SAMPLES_PREFIX,
    CanonicalField,
    DataSource,
    SourceDefaults,
    SourceFormat,
    compiled,
    confined_path,
)
from playbook.sources.reading import (
    ParsedFiles,
    count_files,
    format_of,
    iter_sources,
    read_file,
    read_sources,
    source_files,
)
from playbook.sources.records import (
    DATE_FORMAT,
    NAVIGATION_LINK_SHARE,
    ReadError,
    Shape,
    SourceRecord,
    location_file,
    nested_records,
    scalar_text,
)

__all__ = [
    "Compilation",
    "compilation_pages",
    "DATE_FORMAT",
    "NAVIGATION_LINK_SHARE",
    "EXTENSIONS",
    "SAMPLES_PREFIX",
    "CanonicalField",
    "DataSource",
    "ParsedFiles",
    "ReadError",
    "Shape",
    "SourceDefaults",
    "SourceFormat",
    "SourceRecord",
    "compiled",
    "confined_path",
    "count_files",
    "format_of",
    "iter_sources",
    "location_file",
    "nested_records",
    "read_file",
    "read_sources",
    "scalar_text",
    "source_files",
]
