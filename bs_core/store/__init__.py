"""The mirror database: connection and indexes (``connection``), the change-detecting bulk
writer (``writer``), and the overview figures stored at the end of each run (``summaries``).

Reached only through pymongo.  With ``MONGODB_URI`` set it is the user's MongoDB; with
nothing set it is the embedded server (``embedded.py``) in ``BS_DATA_DIR``.
"""

from ..dates import utcnow
from .connection import (
           COLLECTIONS,
           ENTITY_COLLECTIONS,
           INDEXES,
           connect,
           ensure_indexes,
           mongo_uri,
           open_database,
)
from .writer import Counts, Existing, MirrorWriter

__all__ = ["COLLECTIONS", "ENTITY_COLLECTIONS", "INDEXES", "Counts", "Existing", "MirrorWriter", "connect",
           "ensure_indexes", "mongo_uri", "open_database", "utcnow"]
