"""A small hand-written corpus for the stories tests: three happenings, two of them of the same kind.

* ``vote1``: the (fictional) Norhaven assembly votes 169 to 1 on 2022-01-20 for a harbour resolution -- three outlets,
  in different words; one of them gives the vote as "Tuesday" (2022-01-18), a date disagreement to keep.
* ``vote2``: the same assembly votes 266 to 0 on 2022-03-10 on a second, different harbour resolution -- same actors,
  same kind of happening, different date and tally: a different event of the same storyline.
* ``quake``: an earthquake in the (fictional) Valdera region, two outlets.
* ``lone``: an article about something else entirely.
"""

from __future__ import annotations

from storydiff.ingest.prepare import prepare_record
from storydiff.model import RawRecord

FILLER = (" Members debated for most of the afternoon before the vote, and several of them spoke about the port's "
          "future, its workers and the ships that call there every week.")

SPECS = [
    ("vote1-a", "vote1", "Daily Ledger", "2022-01-21",
     "Norhaven assembly backs harbour resolution by 169 votes to 1",
     "The Norhaven Assembly voted 169 to 1 on Thursday to adopt a resolution on the future of Kestrel Harbour, "
     "Speaker Amara Voss said. The resolution asks the government of Norhaven to halt the sale of the harbour "
     "to the Brightwater Shipping Company." + FILLER),
    ("vote1-b", "vote1", "Morning Courier", "2022-01-21",
     "Lawmakers overwhelmingly oppose Kestrel Harbour sale",
     "Lawmakers in Norhaven on Thursday overwhelmingly adopted a resolution opposing the sale of Kestrel Harbour to "
     "Brightwater Shipping Company, in a 169-1 vote announced by Speaker Amara Voss. Critics of the Brightwater deal "
     "welcomed the result." + FILLER),
    ("vote1-c", "vote1", "The Observer Post", "2022-01-21",
     "Kestrel Harbour sale rejected by Norhaven Assembly",
     "On Tuesday the Norhaven Assembly adopted, by 169 votes to 1, a resolution against selling Kestrel Harbour to "
     "the Brightwater Shipping Company. Speaker Amara Voss read out the result to applause." + FILLER),
    ("vote2-a", "vote2", "Daily Ledger", "2022-03-11",
     "Norhaven assembly passes second harbour resolution 266 to 0",
     "The Norhaven Assembly voted 266 to 0 on Thursday to adopt a second resolution on Kestrel Harbour, this time "
     "on dredging the harbour's northern channel, Speaker Amara Voss said. Brightwater Shipping Company was not "
     "named in the text." + FILLER),
    ("vote2-b", "vote2", "Morning Courier", "2022-03-11",
     "Unopposed: Norhaven lawmakers back Kestrel Harbour dredging",
     "Lawmakers in Norhaven on Thursday adopted a resolution to dredge the northern channel of Kestrel Harbour in a "
     "266-0 vote, Speaker Amara Voss announced." + FILLER),
    ("quake-a", "quake", "Daily Ledger", "2022-02-02",
     "Strong earthquake shakes Valdera region",
     "A magnitude 6.8 earthquake struck the Valdera region on Tuesday, damaging hundreds of homes in the town of "
     "Corvin, the regional emergency office said. Rescue teams searched collapsed buildings through the night, and "
     "officials reported at least 14 people injured."),
    ("quake-b", "quake", "The Observer Post", "2022-02-02",
     "Quake damages homes in Corvin",
     "Hundreds of homes in Corvin were damaged when a 6.8-magnitude earthquake hit the Valdera region on Tuesday, "
     "according to the regional emergency office. At least 14 people were hurt and rescue teams worked overnight in "
     "the rubble."),
    ("lone", "lone", "Morning Courier", "2022-02-15",
     "City library extends its opening hours",
     "The central library of Lanford will open until 9 pm on weekdays from next month, the city council said, after "
     "a survey of readers asked for longer evening hours. The library will also lend laptops to students."),
]


def corpus_articles():
    """``(articles, gold event by article id)`` built through the real ingest map."""
    articles, gold = [], {}
    for name, event, outlet, published, title, text in SPECS:
        payload = f"title: {title}\noutlet: {outlet}\ndate: {published}\n\n{text}\n"
        art = prepare_record(RawRecord(locator=f"stories-test:{name}", kind="text", payload=payload, raw_hash=name))
        articles.append(art)
        gold[art.id] = event
    return articles, gold
