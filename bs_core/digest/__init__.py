"""Digests: what needs attention, built from the mirror and sent by e-mail or to a Slack
or Teams webhook, by hand (``python -m bs_core digest send``) or on ``BS_DIGEST_SCHEDULE``.

``content`` (what it says), ``render`` (text, HTML, attachments), ``delivery`` (SMTP,
webhook, dry run, the history), ``schedule`` (when one is due), ``cron`` (the schedule's
syntax).  It reads the mirror through ``bs_core.read`` and never imports the sync or the ui.
"""

from .delivery import deliver
from .schedule import claim, due_slot, send_due

__all__ = ["claim", "deliver", "due_slot", "send_due"]
