"""The mirror database: collections and indexes (``connection``), the change-detecting bulk
writer (``writer``), and the overview figures stored at the end of each run (``summaries``).

Reached only through pymongo.  With ``MONGODB_URI`` set it is the user's MongoDB; with
nothing set it is the embedded server in ``BS_DATA_DIR``; ``process/database.py`` opens
either and hands the database in.
"""

from ..dates import utcnow
from ._connection import (
           COLLECTIONS,
           ENTITY_COLLECTIONS,
           INDEXES,
           ensure_indexes,
)
from ._writer import Counts, Existing, MirrorWriter

__all__ = ["COLLECTIONS", "ENTITY_COLLECTIONS", "INDEXES", "Counts", "Existing", "MirrorWriter",
           "ensure_indexes", "utcnow"]
