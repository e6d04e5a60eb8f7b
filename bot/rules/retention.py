"""How long the bot keeps what is not a record of the network (LGPD art. 6 III, 15, 16).

The network's records — meetings, presences, RSVPs, atas (and their files), referrals,
devolutivas, extensions, plans, reporting confirmations, role assignments — are kept: they
are the network's memory and its annual report. Everything the bot keeps only to work
(which updates it applied, typed answers to polls, the messages it sent, previews waiting
for a button, private contacts of people no network knows) goes after the times below.
The README's "What the bot keeps" section states them for the operator; each is long
enough for the bot's own use of the row (said beside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# The kind of a question row that is a step-by-step conversation (handlers/conversation.py).
CONVERSATION = "conversation"
# A conversation left halfway longer than this (since its last question) is over.
CONVERSATION_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True)
class Retention:
    # Telegram redelivers an update for about a day: the id is kept two.
    processed_updates: timedelta = timedelta(days=2)
    # A webhook event is applied within minutes; one left by a stopped process would be
    # applied twice once its update id is forgotten, so it goes with it.
    inbox_events: timedelta = timedelta(days=2)
    # Typed answers and votes count for 30 days after a message of options (polls live
    # until the meeting); the ids of the bot's messages, the answers' times and the notice
    # "you voted wrong" said once per voter and poll go with them.
    choices: timedelta = timedelta(days=30)
    # A question the bot asked (why you won't come) waits 3 days for its answer.
    questions: timedelta = timedelta(days=30)
    # A step-by-step conversation left halfway expires in 30 minutes; its row, with the
    # answers typed so far, goes a day later.
    conversations: timedelta = timedelta(days=1)
    # Previews (a calendar, a plan, a convocation) wait hours or days for their button.
    drafts: timedelta = timedelta(days=30)
    # Messages the bot sent (their text names and mentions people): the hourly cap looks
    # back an hour, a failed send is retried for hours.
    deliveries: timedelta = timedelta(days=30)
    # Future work once done (sent, cancelled, superseded...): a row says "already sent"
    # while its series may still be planned again; every series plans only ahead.
    scheduled: timedelta = timedelta(days=90)
    # A private chat of someone no network of that platform knows (never wrote in a
    # group, or erased their data there): it serves nobody.
    stray_contacts: timedelta = timedelta(days=30)


DEFAULT = Retention()
