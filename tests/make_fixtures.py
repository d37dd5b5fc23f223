#!/usr/bin/env python3
"""Generate the storydiff test fixtures under tests/data/.

Usage:
    python tests/make_fixtures.py            # (re)write tests/data/inputs and tests/data/bad
    python tests/make_fixtures.py --verify   # also check the files with warcio/feedparser/trafilatura

The script is deterministic and idempotent: running it twice produces
byte-identical files (fixed random seed, gzip mtime=0, fixed WARC record IDs
and dates, fixed zip timestamps). Every article text below is invented; the
towns, people, outlets and events are fictional and all domains use the
reserved ``.test`` TLD.

Only the standard library is needed to generate the fixtures, except for the
WARC files which need ``warcio``. Tests may import :func:`make_huge` to write
a large text file into a temporary directory, e.g.::

    from make_fixtures import make_huge   # with tests/ on sys.path
    make_huge(tmp_path / "huge.txt", 50 * 1024 * 1024)
"""

from __future__ import annotations

import gzip
import html
import io
import json
import random
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
INPUTS = DATA / "inputs"
BAD = DATA / "bad"

SEED = 20240314
MAX_FILE_BYTES = 30 * 1024

# --------------------------------------------------------------------------
# Invented articles. Each: title, url, outlet, date (ISO), author, paras.
# A value of None means "this input deliberately carries no such metadata".
# --------------------------------------------------------------------------

ARTICLES: dict[str, dict] = {
    # ---- plain/council.txt (no metadata at all) ---------------------------
    "council": dict(
        title=None, url=None, outlet=None, date=None, author=None,
        paras=[
            "Norhaven's town council voted 7-4 on Tuesday night to approve a long-debated plan to convert the disused Mill Street rail yard into 320 homes, ending nearly three years of public hearings and legal wrangling.",
            "The plan, submitted by the Harbourside Housing Trust, sets aside 40 percent of the units as affordable rentals and includes a small park, a health clinic and a cycle path linking the site to the town centre.",
            "\"This is the single biggest step this council has taken on housing in a generation,\" said councillor Edith Marsh, who chairs the planning committee. \"Families who grew up in Norhaven should be able to stay in Norhaven.\"",
            "Opponents argued that the roads around the site could not absorb the extra traffic and that the town's only secondary school was already full. Councillor Rob Haines, who voted against the plan, said the decision had been \"rushed through before the questions were answered.\"",
            "\"Nobody in this chamber is against new homes,\" Haines said. \"But we have approved 320 front doors and not a single new classroom.\"",
            "Around 150 residents packed the public gallery, and the meeting ran past midnight after more than 40 people spoke during the comment period. Some applauded when the result was read out; others left in silence.",
            "The trust said construction could begin next spring if a final environmental review, covering soil contamination from the site's century of rail use, is completed on schedule. The first residents could move in by late 2026.",
            "Mayor Alan Pike, who votes only to break ties, said he would ask the county education office to meet council members within a month to discuss school capacity.",
        ],
    ),
    # ---- plain/strike_with_header.txt (metadata in a header block) --------
    "strike": dict(
        title="Dockworkers walk out at Port Calder as wage talks collapse",
        url="https://www.example-news.test/2024/03/port-strike",
        outlet="Example News", date="2024-03-14", author="Jane Roe",
        paras=[
            "Around 1,200 dockworkers at Port Calder walked off the job at 6 a.m. on Thursday after overnight talks between their union and the port's operators broke down, leaving container ships queuing in the estuary and lorries backed up along the coast road.",
            "The Calder Dock and Harbour Workers' Union is demanding a 9 percent pay rise over two years and limits on the use of automated cranes. The Port Calder Terminal Company has offered 4.5 percent and a review of its automation plans in 2026.",
            "\"Our members have kept this port running through storms, a pandemic and a fire,\" union secretary Grace Okafor told reporters outside the main gate. \"They are not asking for the moon. They are asking to be able to pay their rent.\"",
            "The company said in a statement that the walkout was \"unnecessary and damaging\" and that its offer was \"the most generous in the port's history.\" Chief executive Martin Vale added that the company remained \"ready to return to the table at any hour.\"",
            "By midday, at least nine vessels were anchored offshore waiting for a berth, according to the harbour master's office. Shipping agents warned that perishable cargo, including fruit bound for supermarkets in the region, could spoil if the dispute lasted more than a few days.",
            "Local business owners had mixed feelings. \"I understand why they're out there,\" said Lena Fisk, who runs a cafe near the terminal. \"But every day the gates are shut, I lose half my customers.\"",
            "The union said the strike would continue until Sunday night. No new talks had been scheduled as of Thursday evening.",
        ],
    ),
    # ---- plain/flood.txt + plain/flood.json (sidecar metadata) ------------
    "flood": dict(
        title="River Ashby bursts its banks, forcing hundreds from homes in Millbridge",
        url="https://www.valley-ledger.test/2024/02/millbridge-flood",
        outlet="Valley Ledger", date="2024-02-09", author="Tomasz Wren",
        paras=[
            "Hundreds of residents in Millbridge were evacuated overnight on Friday after the River Ashby burst its banks following three days of torrential rain, flooding streets in the lower town to a depth of more than a metre.",
            "Emergency crews used boats to reach families trapped on upper floors along Weaver's Lane and Canal Street, where the water rose faster than forecasters had predicted. No deaths were reported, but two people were taken to hospital with hypothermia.",
            "\"It came up through the floorboards in about twenty minutes,\" said Joan Ellery, 71, who was carried from her home by firefighters shortly after 2 a.m. \"I've lived here 40 years and I have never seen anything like it.\"",
            "The county emergency office said 430 people had spent the night in the sports centre and two church halls, and that the river was expected to peak again on Saturday afternoon.",
            "Millbridge's flood defences, built in 1998, were designed for a once-in-a-century event. Council engineer Samuel Obi said the barriers had held but were overtopped at two points. \"The walls did their job,\" he said. \"There was simply more water than they were built for.\"",
            "Residents and local councillors have long complained that upgrades to the defences were postponed in successive budgets. A council spokeswoman said a review of the scheme would begin \"as soon as the water goes down.\"",
            "Rail services between Millbridge and Norhaven were suspended, and several roads into the town remained closed on Friday evening.",
        ],
    ),
    # ---- plain/gzipped.txt.gz (no metadata, gzip) -------------------------
    "library": dict(
        title=None, url=None, outlet=None, date=None, author=None,
        paras=[
            "Norhaven Public Library will open on Sunday afternoons and stay open until 9 p.m. on weekdays from next month, after a volunteer drive recruited more than 60 people to help staff the building.",
            "The library cut its hours two years ago when the town's budget for cultural services was reduced by a fifth. Since then, a petition calling for the old timetable to be restored has gathered more than 2,000 signatures.",
            "\"We heard very clearly that people wanted their library back in the evenings, especially students and people who work during the day,\" said head librarian Nadia Ferreira. \"The volunteers have made that possible without asking the council for a penny more.\"",
            "Volunteers will handle returns, help visitors with the computers and run a homework club on weekday evenings. Paid staff will remain on duty at all times, Ferreira said.",
            "The library workers' union welcomed the longer hours but cautioned that volunteers should not become a permanent substitute for staff. \"We are grateful to every volunteer,\" said union representative Colin Shaw. \"But a library is a public service, and it should be funded like one.\"",
            "The council said it would review the arrangement after six months.",
        ],
    ),
    # ---- html/article.html (full page with chrome) ------------------------
    "bridge": dict(
        title="Kestrel Bridge reopens to traffic after two-year rebuild",
        url="https://www.daily-gazette.test/news/bridge-reopens",
        outlet="Daily Gazette", date="2024-04-02", author="Maria Lindqvist",
        published="2024-04-02T07:45:00+01:00",
        paras=[
            "The Kestrel Bridge in Norhaven reopened to traffic on Tuesday morning, two years after engineers closed the 90-year-old crossing over the River Ashby because of corroded steel supports.",
            "A short ceremony at the eastern end of the bridge was attended by several hundred residents, some of whom had walked a detour of almost three kilometres each day while the crossing was shut.",
            "\"There were days when I thought we'd never see cars on it again,\" said Peter Lund, 68, who has run a hardware shop on Bridge Street since 1985. \"My takings fell by a third. Today feels like getting my street back.\"",
            "The rebuild cost 38 million pounds, around 6 million more than first estimated. County transport officials blamed the overrun on a shortage of steel and on the discovery of an unrecorded gas main beneath the western approach.",
            "\"We would all have liked this to be quicker and cheaper,\" said county transport director Helen Achebe. \"But the bridge we are opening today is built to last another hundred years, and it is safer for pedestrians and cyclists than it has ever been.\"",
            "The new deck includes a protected cycle lane and wider footpaths. Weight limits that had barred heavy lorries from the bridge since 2015 have been lifted.",
            "Traffic was light for most of the morning, but police said they expected congestion at peak hours for the first few weeks as drivers returned to their old routes.",
            "Bus operator Ashby Lines said it would restore its route 12 service across the bridge from Monday.",
        ],
    ),
    # ---- html/article.html.gz (second page, gzip) -------------------------
    "market": dict(
        title="Norhaven farmers' market moves indoors for the winter",
        url="https://www.norhaven-courier.test/local/market-moves-indoors",
        outlet="Norhaven Courier", date="2023-11-18", author="Owen Pryce",
        published="2023-11-18T09:00:00+00:00",
        paras=[
            "Norhaven's Saturday farmers' market will move into the old Corn Exchange for the winter for the first time in its 30-year history, organisers said on Friday, after stallholders complained that storms had forced repeated cancellations last year.",
            "The market, which normally fills Church Square with around 45 stalls, was called off on seven Saturdays between November and February last winter.",
            "\"We lost almost two months of trading last year, and for some of our smaller growers that's the difference between carrying on and giving up,\" said market manager Ruth Abara. \"The Corn Exchange gives us a roof and a heating system. It's a simple fix.\"",
            "The council has agreed to rent the hall to the market at a reduced rate until the end of March. Space inside is tighter, and the number of stalls will be capped at 35, with priority given to traders who sell food grown or made within 30 miles of the town.",
            "Not everyone is pleased. Tom Hale, who sells cheese from his farm outside Eastbrook, said the smaller hall could push out newer traders. \"The old hands will be fine,\" he said. \"It's the young ones just starting out who'll get squeezed.\"",
            "The first indoor market will be held on December 2. Organisers said they would return to Church Square in April.",
        ],
    ),
    # ---- jsonl/articles.jsonl (4) -----------------------------------------
    "schoolweek": dict(
        title="Eastbrook school board delays vote on four-day week",
        url="https://www.harbour-post.test/education/four-day-week",
        outlet="Harbour Post", date="2024-01-22", author="Priya Natarajan",
        paras=[
            "The Eastbrook school board on Monday postponed a decision on whether to move the district's five schools to a four-day week, saying it needed more time to study the impact on working parents.",
            "The proposal, put forward by superintendent Dana Kowalski in October, would have students attend school from Monday to Thursday with longer days, saving an estimated 1.2 million a year in transport and heating costs.",
            "\"We are not going to make a change this big on a split vote and a rushed timetable,\" board chair Felix Grant said after a three-hour meeting. \"Families deserve a clear answer, and they deserve the right one.\"",
            "Parents who spoke at the meeting were divided. Several teachers said a shorter week would help the district recruit staff, many of whom have left for better-paid jobs in Norhaven.",
            "\"I've lost three colleagues this year alone,\" said maths teacher Ines Moreau. \"A four-day week is something we can offer that the city schools can't.\"",
            "But others warned that the change would leave families scrambling for childcare on Fridays. \"Who looks after my seven-year-old while I'm at work?\" asked Carl Benning, a nurse and father of two. \"Nobody has answered that question.\"",
            "The board will hold two more public hearings in February and is expected to vote in March.",
        ],
    ),
    "windfarm": dict(
        title="Gull Point wind farm clears final planning hurdle",
        url="https://www.example-news.test/2024/02/gull-point-wind-farm",
        outlet="Example News", date="2024-02-27", author="Luis Ortega",
        paras=[
            "A plan to build 42 wind turbines off Gull Point cleared its final planning hurdle on Tuesday when the regional energy board approved the project's grid connection, clearing the way for construction to begin next year.",
            "The wind farm, developed by Northsea Breeze Energy, is expected to generate enough electricity for around 180,000 homes when fully operational in 2028.",
            "\"This is the moment the project stops being a drawing and becomes something real,\" said the company's project director, Anika Strand. \"We expect to employ around 300 people during construction, many of them locally.\"",
            "The decision follows four years of consultations and two legal challenges brought by a local fishing association, which argued that cables laid across the seabed would disturb crab and lobster grounds.",
            "\"We've been told to trust the studies, but the studies were paid for by the developer,\" said Ewan McCrae, chairman of the Gull Point Fishermen's Association. He said the group was considering a further appeal.",
            "Environmental groups welcomed the approval. The company has agreed to fund a ten-year monitoring programme of marine life around the site and to pay into a community fund for coastal villages.",
            "Offshore survey work is due to start in the summer.",
        ],
    ),
    "warehouse": dict(  # written with alternate field names in the JSONL
        title="Fire destroys warehouse on Millbridge industrial estate",
        url="https://www.valley-ledger.test/2024/03/warehouse-fire",
        outlet="Valley Ledger", date="2024-03-05", author="Hannah Cole",
        published="2024-03-05T06:10:00Z",
        paras=[
            "A fire destroyed a warehouse on the Millbridge industrial estate early on Tuesday, sending a column of black smoke over the town and forcing the closure of the main road to Norhaven for several hours.",
            "Firefighters were called to the building, which stored furniture and packaging materials, shortly before 4 a.m. At the height of the blaze, more than 60 firefighters and 12 engines were at the scene.",
            "\"The building was well alight when the first crews arrived, and our priority was stopping the fire spreading to the units either side,\" said station commander Ray Osei. \"I'm pleased to say they managed that.\"",
            "No one was injured. Residents within half a kilometre were told to keep their windows and doors closed because of the smoke, a warning that was lifted by mid-morning.",
            "The warehouse's owner, Barlow Storage, said all of its staff were safe and that it was working with customers whose goods had been stored in the building. \"We are devastated, but thankful nobody was hurt,\" managing director Kate Barlow said.",
            "The cause of the fire is being investigated. Fire officers said it was too early to say whether it had been started deliberately.",
        ],
    ),
    "tram": dict(
        title="Norhaven tram extension to airport wins national funding",
        url="https://www.norhaven-courier.test/transport/tram-airport-funding",
        outlet="Norhaven Courier", date="2024-03-20", author="Owen Pryce",
        paras=[
            "Plans to extend Norhaven's tram line to the airport received 54 million in national funding on Wednesday, bringing a project first proposed more than a decade ago within reach.",
            "The 6-kilometre extension would run from the current terminus at Station Square through the Fenwick estate to the airport terminal, with four new stops. Journeys from the town centre to the airport would take 14 minutes.",
            "\"People have been told this tram was coming since I was at school,\" said council leader Sunita Rao. \"Today we can finally say it's not a promise anymore. It's paid for.\"",
            "The council must still find around 12 million of its own, which Rao said would come from borrowing and a contribution from the airport's operator.",
            "Residents of the Fenwick estate, which has no rail link and only an hourly bus service, welcomed the news. \"Half the people on this street don't drive,\" said Mary Donnelly, who chairs the estate's residents' association. \"This will change how people get to work.\"",
            "Some councillors questioned whether passenger numbers at the airport, which have not returned to pre-pandemic levels, justified the cost. Construction is due to start in 2025, with the first trams running in 2027.",
        ],
    ),
    # ---- jsonl/custom_fields.jsonl (2, story_body/story_title/publisher) --
    "ferry": dict(
        title="Skerra ferry fares to rise 8 percent from April",
        url="https://www.harbour-post.test/transport/skerra-ferry-fares",
        outlet="Harbour Post", date="2024-02-15", author="Callum Reid",
        paras=[
            "Fares on the ferry between Port Calder and the island of Skerra will rise by 8 percent from April, the operator announced on Thursday, prompting anger from islanders who rely on the service to reach hospitals, schools and jobs on the mainland.",
            "Calder Island Ferries said the increase was needed to cover higher fuel and crew costs, and that fares had been frozen for the past three years.",
            "\"We have absorbed rising costs for as long as we could,\" said the company's operations director, Brendan Hale. \"Without this change, we would have to look at cutting sailings, and nobody wants that.\"",
            "A single foot-passenger fare will rise from 6.20 to 6.70, while the cost of taking a car across will go up by more than 3 in each direction. Island residents will keep their existing discount.",
            "The Skerra community council said the increase would hit older residents and families hardest. \"For people here, the ferry isn't a tourist trip. It's the road to the doctor,\" said council member Isla Mackay. \"Every rise lands on the people least able to pay.\"",
            "The community council has asked the regional transport authority to step in, and said it would present a petition at the authority's next meeting.",
        ],
    ),
    "maternity": dict(
        title="Norhaven General Hospital opens new maternity wing",
        url="https://www.norhaven-courier.test/health/maternity-wing-opens",
        outlet="Norhaven Courier", date="2024-01-08", author="Alys Morgan",
        paras=[
            "Norhaven General Hospital opened a new maternity wing on Monday, ending a three-year period in which expectant mothers with complications had to travel to the city hospital in Eastbrook, an hour's drive away.",
            "The wing has 24 beds, two operating theatres and a neonatal unit with eight cots. It was built at a cost of 21 million, partly funded by a public appeal that raised more than 2 million from local donors.",
            "\"Some of our mothers were giving birth in the back of cars on the coast road,\" said head midwife Abena Mensah. \"That should never happen, and from today it shouldn't have to.\"",
            "The first baby born in the new unit, a girl weighing 3.4 kilograms, arrived at 3.12 a.m., a few hours after the wing formally opened. Her parents, Lucy and Daniel Park from Norhaven, named her Hope.",
            "\"We didn't plan to make history, we just wanted to be close to home,\" Daniel Park said.",
            "The hospital said it would recruit 40 additional midwives and nurses over the next year. Staff unions welcomed the investment but warned that the unit would only succeed if it was properly staffed.",
        ],
    ),
    # ---- jsonl/articles.jsonl.gz (2) --------------------------------------
    "drought": dict(
        title="Drought restrictions lifted across the Ashby valley",
        url="https://www.valley-ledger.test/2023/11/drought-restrictions-lifted",
        outlet="Valley Ledger", date="2023-11-06", author="Tomasz Wren",
        paras=[
            "Water restrictions in place across the Ashby valley since July were lifted on Monday after an unusually wet autumn refilled the region's reservoirs, the water company said.",
            "Ashby Water said its three main reservoirs were now 87 percent full, compared with 41 percent at the height of the summer drought. Hosepipe bans, limits on filling swimming pools and restrictions on car washing will all end immediately.",
            "\"We want to thank customers for the huge effort they made over the summer,\" said the company's operations director, Carys Bell. \"Household demand fell by almost a fifth, and that made a real difference.\"",
            "Farmers in the valley, who faced limits on taking water from rivers for irrigation, said the decision came too late for many crops. \"We lost most of our potatoes in August,\" said Gareth Pole, who farms near Millbridge. \"The rain is welcome, but it doesn't bring back a harvest.\"",
            "Environmental campaigners urged the company to use the reprieve to repair leaking pipes, which it estimates lose around 20 percent of treated water before it reaches homes. Bell said a five-year programme of repairs was under way.",
            "The company warned that restrictions could return next year if the winter is dry.",
        ],
    ),
    "strike_ends": dict(
        title="Port Calder strike ends after overnight deal",
        url="https://www.example-news.test/2024/03/port-strike-ends",
        outlet="Example News", date="2024-03-21", author="Jane Roe",
        paras=[
            "The strike at Port Calder ended on Thursday after union leaders and the port's operators reached a deal in overnight talks, a week after 1,200 dockworkers walked off the job.",
            "Under the agreement, workers will receive a 7 percent pay rise over two years. The Port Calder Terminal Company has also agreed not to introduce new automated cranes before 2027 without the union's consent.",
            "\"This is a fair deal, and it was won by members standing together in the cold for seven days,\" union secretary Grace Okafor said outside the main gate, where workers had gathered to hear the result.",
            "Chief executive Martin Vale said the company was \"relieved\" the dispute was over. \"Nobody wins when the port is closed,\" he said. \"We now need to work together to clear the backlog as quickly as possible.\"",
            "More than 20 ships were waiting offshore at the peak of the walkout. The harbour master's office said it expected the queue to clear by the middle of next week.",
            "Union members voted 84 percent in favour of the deal in a ballot held on Thursday morning. Work resumed with the afternoon shift.",
        ],
    ),
    # ---- warc/crawl.warc(.gz) (2 HTML responses) --------------------------
    "surplus": dict(
        title="Norhaven posts budget surplus for second year running",
        url="https://www.norhaven-courier.test/politics/budget-surplus",
        outlet="Norhaven Courier", date="2024-05-06", author="Alys Morgan",
        published="2024-05-06T11:20:00+01:00",
        paras=[
            "Norhaven will end the financial year with a surplus of 3.8 million, Mayor Alan Pike announced on Monday, the second year running that the town has spent less than it raised.",
            "The surplus was driven by higher-than-expected income from parking charges and the sale of a disused depot on Quarry Road, along with savings on energy after the town hall and three schools were fitted with solar panels.",
            "\"Two years ago we were being told Norhaven was heading for bankruptcy,\" Pike said at a press conference. \"Today we have money in the bank, and we intend to use it carefully.\"",
            "The mayor proposed spending half of the surplus on road repairs and putting the rest into a reserve fund. Opposition councillors called for more of the money to go towards youth services, which were cut sharply in 2021.",
            "\"A surplus built on closing youth clubs is not something to celebrate,\" said councillor Rob Haines. \"We should be reopening them, and this money would let us start tomorrow.\"",
            "The council will debate the mayor's proposals at its meeting on May 21. Pike said he expected a final budget to be agreed before the summer recess.",
        ],
    ),
    "storm": dict(
        title="Storm cuts power to 12,000 homes in Eastbrook",
        url="https://www.harbour-post.test/news/eastbrook-storm-power-cuts",
        outlet="Harbour Post", date="2024-01-15", author="Priya Natarajan",
        published="2024-01-15T16:05:00+00:00",
        paras=[
            "A storm with gusts of up to 120 kilometres per hour knocked out power to around 12,000 homes in Eastbrook and surrounding villages overnight on Sunday, bringing down trees and power lines across the district.",
            "Engineers from the regional electricity network worked through the night, and by Monday afternoon power had been restored to all but around 1,500 properties, most of them in rural areas east of the town.",
            "\"Our teams are dealing with more than 200 separate faults, many of them on lines that run through woodland,\" said network spokesman Idris Lowe. \"We expect to reconnect most remaining customers by Tuesday evening.\"",
            "Several schools in Eastbrook were closed on Monday, and the coast road between Eastbrook and Norhaven was shut for six hours after a large oak fell across both lanes.",
            "Residents in the village of Holt Green, where power was still off on Monday night, said older neighbours were struggling in the cold. \"We've been going door to door with flasks of tea,\" said Beth Arkwright, who runs the village shop. \"People are managing, but it's been a long night.\"",
            "The district council opened its community centre as a warm space and said it would stay open until all homes were reconnected.",
        ],
    ),
    # ---- feeds/rss.xml (2 full items) -------------------------------------
    "lighthouse": dict(
        title="Gull Point lighthouse restoration completed",
        url="https://www.harbour-post.test/coast/gull-point-lighthouse-restored",
        outlet="Harbour Post", date="2024-04-10", author="Callum Reid",
        published="Wed, 10 Apr 2024 08:30:00 +0100",
        paras=[
            "Restoration work on the Gull Point lighthouse has been completed after 18 months, and the 150-year-old tower will open to visitors for the first time in two decades this summer, the trust that owns it announced on Wednesday.",
            "Craftsmen replaced more than 400 cracked stones, repaired the cast-iron lantern room and restored the original lens, which had been removed and stored in a barn after the light was automated in 1987.",
            "\"When we started, you could put your hand through gaps in the wall at the top,\" said Fiona Carrick, chair of the Gull Point Lighthouse Trust. \"Now it looks the way it did when the keepers lived here.\"",
            "The project cost 2.4 million, most of it from a heritage grant, with the rest raised through donations and a crowdfunding campaign that attracted supporters from as far away as Canada and New Zealand, many of them descendants of former keepers.",
            "The lighthouse still works as an aid to navigation, and its automatic light will continue to operate. Visitors will be able to climb the 112 steps to the gallery in small guided groups.",
            "\"It's a piece of this coast's history that nearly fell into the sea,\" Carrick said. \"Now it will be here for another 150 years.\"",
        ],
    ),
    "quota": dict(
        title="Fishing quota talks stall as Port Calder skippers walk out",
        url="https://www.harbour-post.test/coast/fishing-quota-talks-stall",
        outlet="Harbour Post", date="2024-04-09", author="Morven Adair",
        published="Tue, 09 Apr 2024 17:45:00 +0100",
        paras=[
            "Talks on next year's fishing quotas for the waters off Port Calder stalled on Tuesday after fishing organisations walked out of a meeting with regional officials, accusing them of ignoring evidence that cod stocks are recovering.",
            "The regional fisheries authority has proposed cutting the cod quota by 15 percent, citing scientific advice that the stock remains fragile after decades of overfishing.",
            "\"Our skippers are seeing more cod than they have in twenty years, and we're being told to catch less,\" said Morag Dunn, chief executive of the Calder Fishermen's Federation. \"The science is always two years behind what's happening on the water.\"",
            "Officials said the proposed cut was based on the best available evidence and that a recovering stock was a reason for caution rather than celebration. \"Fish stocks that are starting to recover are exactly the ones that can be knocked back by one bad decision,\" said the authority's chief scientist, Leon Petrakis.",
            "The federation represents around 140 boats working out of Port Calder and nearby harbours. Its members say another cut would force some family businesses to sell their vessels.",
            "The authority said it would reconvene talks next week and hoped to agree quotas before the end of the month.",
        ],
    ),
    # ---- feeds/atom.xml (2 full entries) ----------------------------------
    "buses": dict(
        title="Norhaven bus drivers accept new contract, averting Easter strike",
        url="https://www.example-news.test/2024/03/norhaven-bus-drivers-deal",
        outlet="Example News", date="2024-03-22", author="Luis Ortega",
        published="2024-03-22T12:00:00Z",
        paras=[
            "Bus drivers in Norhaven have voted to accept a new contract, ending the threat of a strike that would have halted most services in the town over the Easter holidays.",
            "Members of the drivers' union backed the deal by 312 votes to 97 in a ballot that closed on Friday. The agreement gives drivers a pay rise of 6 percent this year and 4 percent next year, and guarantees a 30-minute break on shifts longer than six hours.",
            "\"Drivers were not asking for much, just to be paid fairly and to be able to eat a sandwich without the clock running,\" said union representative Danny Keogh. \"This deal gives them both.\"",
            "Ashby Lines, which operates most routes in the town, said it was pleased the dispute had been settled. \"Our drivers are the backbone of this company,\" said managing director Sarah Whitlow. \"We are glad we can now focus on running a reliable service.\"",
            "Passenger groups welcomed the end of the dispute but said they hoped the company would now address complaints about cancelled services on evening routes, which have worsened because of driver shortages.",
            "The new contract takes effect on April 1.",
        ],
    ),
    "painting": dict(
        title="Painting stolen from Millbridge Museum in 1991 returned",
        url="https://www.example-news.test/2024/03/millbridge-painting-returned",
        outlet="Example News", date="2024-03-28", author="Jane Roe",
        published="2024-03-28T09:15:00Z",
        paras=[
            "A 19th-century painting stolen from the Millbridge Museum more than 30 years ago has been returned after it was spotted in an online auction catalogue, museum officials said on Thursday.",
            "The oil painting, \"Boats at Calder Quay\" by local artist Margaret Holloway, was taken during a break-in in 1991 along with two silver candlesticks, which have never been found.",
            "A volunteer at the museum, retired teacher Alan Brooks, recognised the painting last month while browsing an auction website on his phone. \"I nearly dropped my cup of tea,\" he said. \"I'd seen the photograph of it in our files a hundred times.\"",
            "The auction house withdrew the painting from sale and contacted police. The seller, who said they had bought it at a house clearance sale in good faith, agreed to hand it back without payment.",
            "\"We had honestly given up hope,\" said museum director Priya Shah. \"To have it back on the wall where it belongs is extraordinary.\"",
            "Police said no arrests had been made and that the investigation into the original burglary remained open. The painting will go back on display next month after cleaning.",
        ],
    ),
    # ---- chrome/chrome_text.txt -------------------------------------------
    "glacier": dict(
        title="Vardal glacier retreated a record 140 metres last year, survey finds",
        url=None, outlet="Example Times", date="2024-03-03", author="John Doe",
        paras=[
            "The Vardal glacier shrank by a record 140 metres last year, the fastest retreat since measurements began in 1931, according to a survey published on Sunday by the Northern Ice Institute.",
            "The institute's researchers, who measure the position of the glacier's snout every autumn, said the ice had lost an average of 45 metres a year over the previous decade, making last year's retreat more than three times the recent average.",
            "\"We expected a bad year after such a hot summer, but the number still shocked us,\" said glaciologist Henrik Solberg, who led the survey. \"Ice that took centuries to build up is disappearing within a single season.\"",
            "The researchers said a combination of record summer temperatures, low winter snowfall and rain falling at high altitudes had accelerated the melting. Meltwater from the glacier feeds the river that supplies drinking water and hydroelectric power to several valley towns.",
            "Local officials said they were already planning for lower summer river flows in the coming decades. \"The glacier is our water tower,\" said Anna Rekdal, mayor of the nearby town of Vardal Bridge. \"We cannot plan as if it will be there forever.\"",
            "The institute will repeat its measurements in September and plans to install additional weather stations on the ice this spring.",
        ],
    ),
    # ---- bad/malformed.jsonl (the 2 valid lines) --------------------------
    "cycling": dict(
        title="Norhaven approves 12 kilometres of protected cycle lanes",
        url="https://www.norhaven-courier.test/transport/cycle-lanes-approved",
        outlet="Norhaven Courier", date="2024-02-21", author="Owen Pryce",
        paras=[
            "Norhaven will build 12 kilometres of protected cycle lanes over the next two years after the council approved a new transport plan on Wednesday, the largest investment in cycling in the town's history.",
            "The lanes will link the railway station, the hospital and the main secondary school, and will be separated from traffic by kerbs and planters rather than painted lines.",
            "\"Parents tell us they would let their children cycle to school if the roads felt safe,\" said councillor Edith Marsh. \"This plan is about making them safe.\"",
            "Some shop owners on Market Street objected to the loss of around 40 parking spaces. \"Our customers come by car, whatever the council wishes,\" said butcher Phil Gorman, whose family has run the shop for three generations.",
            "The council said a public consultation on the exact routes would open next month, and that work on the first section, between the station and the hospital, could begin in the autumn.",
        ],
    ),
    "pier": dict(
        title="Eastbrook pier to reopen after storm repairs",
        url="https://www.harbour-post.test/news/eastbrook-pier-reopens",
        outlet="Harbour Post", date="2024-05-02", author="Callum Reid",
        paras=[
            "Eastbrook's Victorian pier will reopen to the public on Saturday, 14 months after a winter storm tore away part of its decking and forced its closure.",
            "Repairs costing 4.1 million have replaced 60 metres of decking and strengthened the iron legs that hold up the pier's seaward end, which engineers said had been weakened by decades of salt and neglect.",
            "\"The pier is the heart of the seafront,\" said Eastbrook's mayor, Gail Renwick. \"Shops, cafes and the arcade have all felt the difference while it was closed.\"",
            "The pier's owners said the arcade and tearoom at the far end would reopen on the same day, and that a fishing platform and new lighting would be added later in the year.",
            "Local historian Vernon Tate, who led a campaign to save the pier in the 1990s, said he planned to be first through the gates on Saturday morning. \"I've waited long enough,\" he said.",
        ],
    ),
}

# One-sentence RSS item (description only, no full text).
RSS_SHORT = dict(
    title="Eastbrook half marathon route changed because of seafront roadworks",
    url="https://www.harbour-post.test/sport/eastbrook-half-marathon-route",
    outlet="Harbour Post", date="2024-04-08", author="Morven Adair",
    published="Mon, 08 Apr 2024 10:00:00 +0100",
    description="The Eastbrook half marathon will follow a new route this year because of roadworks on the seafront, organisers said on Monday.",
)

# ---- bad/latin1.txt: written in cp1252 (curly quotes 0x92/0x93/0x94) ------
# Only characters that are identical in cp1252 and cp1250 are used (é ü ä ç ë
# ’ “ ” —), because charset_normalizer guesses cp1250 for this text; either
# guess then recovers the exact same string.
LATIN1_TEXT = (
    "Zürich café chain opens its first Norhaven branch\n\n"
    "Café Brändli, a family-run coffee house chain from Zürich, opened its first branch outside Switzerland on Saturday in Norhaven’s old harbour master’s office, drawing a queue that stretched along the quay before the doors opened at 8 a.m.\n\n"
    "The café serves Swiss pastries, Birchermüesli and hot chocolate made to a recipe the Brändli family says dates back to 1921. Its menu also lists an apple strudel and a “Norhaven Nusstorte” made with hazelnuts from a farm outside Eastbrook.\n\n"
    "“We looked at a dozen towns, and Norhaven was the one that felt like home,” said co-owner Renée Brändli, whose grandfather founded the business. “Zürich has its lake, Norhaven has the sea — that’s close enough for us.”\n\n"
    "The opening has been welcomed by the town’s business association, which has struggled to fill empty shops on the waterfront. “A place like this brings people down to the harbour on a Saturday morning,” said association chair Joël Martin.\n\n"
    "Not everyone is convinced. Françoise Dubois, who has run the Blue Door tearoom two streets away for 19 years, said she was worried about the competition but wished the newcomers well. “There’s room for more than one café in Norhaven — at least I hope so,” she said.\n\n"
    "Brändli said the company hoped to open two more branches in the region within three years and would hire all of its staff locally.\n"
)

# ---- dupes: one wire story, republished -----------------------------------
WIRE_BODY = [
    "A cargo ship carrying timber ran aground on rocks off Gull Point early on Friday, but all 18 crew members were safe and there was no sign of fuel leaking into the sea, the coastguard said.",
    "The Marisol Star, a 90-metre general cargo vessel sailing from Port Calder to the Baltic, struck the Hound Rocks at around 3.40 a.m. in heavy seas and poor visibility. The crew sent a distress call shortly afterwards.",
    "A lifeboat and a coastguard helicopter were sent to the scene. Rescuers decided not to take the crew off the ship after confirming that the hull was stable and that the vessel was not taking on water.",
    "\"The crew are safe, they are well, and they are staying aboard while we assess the situation,\" coastguard duty controller Neil Stroud said. \"The priority now is making sure the ship does not break up and that no pollution reaches the shore.\"",
    "{CARGO} A pollution response team was placed on standby in Port Calder as a precaution.",
    "The ship's owner, Calder Line Shipping, said it was working with the coastguard and salvage experts to plan a refloating operation, which could take place on the high tide on Saturday evening if the weather improves.",
    "Local fishermen said the Hound Rocks had caused several wrecks over the past century. \"Anyone who knows this coast gives those rocks a wide berth,\" said Ian Moffat, who has fished out of Gull Point for 35 years. \"In the dark and in that swell, it doesn't take much to get it wrong.\"",
    "The marine accident investigation branch said it had sent inspectors to Gull Point to examine the ship and interview the crew.",
]
WIRE_A = dict(
    first_line="GULL POINT, March 8 (Coastal Press Agency) -",
    cargo="The vessel is carrying around 3,000 tonnes of sawn timber and 120 tonnes of marine fuel.",
    signoff="(Reporting by Sofia Brandt; Editing by Mark Ellis)",
)
WIRE_B = dict(
    first_line="Harbour Post | Friday 8 March 2024 | Gull Point",
    cargo="According to its manifest, the ship was loaded with roughly 3,000 tonnes of timber and 120 tonnes of heavy fuel oil.",
    signoff="-- Harbour Post staff, with material from Coastal Press Agency",
)


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def body_text(paras: list[str]) -> str:
    return "\n\n".join(paras) + "\n"


def word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:['’-]\w+)*", text))


def shingles(text: str, k: int = 3) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: str, b: str, k: int = 3) -> float:
    sa, sb = shingles(a, k), shingles(b, k)
    return len(sa & sb) / len(sa | sb) if (sa or sb) else 1.0


def gz(data: bytes) -> bytes:
    # mtime=0 and no embedded filename -> byte-identical output on every run
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def esc(s: str) -> str:
    return html.escape(s, quote=True)


def wire_text(v: dict) -> str:
    paras = [p.replace("{CARGO}", v["cargo"]) for p in WIRE_BODY]
    return v["first_line"] + "\n\n" + "\n\n".join(paras) + "\n\n" + v["signoff"] + "\n"


def article_record(key: str) -> dict:
    a = ARTICLES[key]
    return {"title": a["title"], "url": a["url"], "outlet": a["outlet"],
            "date": a["date"], "author": a["author"], "text": body_text(a["paras"]).rstrip("\n")}


# --------------------------------------------------------------------------
# HTML pages
# --------------------------------------------------------------------------

def full_chrome_page(a: dict) -> str:
    """A news page with lots of boilerplate around the <article>."""
    canonical = a["url"] + "?utm_source=twitter"
    paras = "\n".join(f"        <p>{esc(p)}</p>" for p in a["paras"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{esc(a['title'])} | {esc(a['outlet'])}</title>
  <meta name="description" content="{esc(a['paras'][0])}">
  <meta name="author" content="{esc(a['author'])}">
  <meta property="og:type" content="article">
  <meta property="og:title" content="{esc(a['title'])}">
  <meta property="og:site_name" content="{esc(a['outlet'])}">
  <meta property="og:image" content="https://www.daily-gazette.test/images/kestrel-bridge.jpg">
  <meta property="article:published_time" content="{a['published']}">
  <meta property="article:section" content="News">
  <link rel="canonical" href="{esc(canonical)}">
  <link rel="stylesheet" href="/static/site.css">
  <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}} gtag('js', new Date());</script>
</head>
<body>
  <div id="cookie-banner" class="cookie-consent" role="dialog">
    <p>We use cookies to improve your experience on our website. By continuing to browse, you agree to our use of cookies.</p>
    <button type="button">Accept all cookies</button>
    <button type="button">Manage preferences</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">{esc(a['outlet'])}</a>
    <nav class="main-nav">
      <ul>
        <li><a href="/">Home</a></li>
        <li><a href="/news">News</a></li>
        <li><a href="/sport">Sport</a></li>
        <li><a href="/business">Business</a></li>
        <li><a href="/opinion">Opinion</a></li>
        <li><a href="/weather">Weather</a></li>
        <li><a href="/subscribe">Subscribe</a></li>
      </ul>
    </nav>
  </header>
  <main>
    <article class="story">
      <header class="story-header">
        <h1>{esc(a['title'])}</h1>
        <p class="byline">By <a rel="author" href="/authors/maria-lindqvist">{esc(a['author'])}</a>, Transport Correspondent</p>
        <time datetime="{a['published']}">Tuesday 2 April 2024, 07:45</time>
      </header>
      <div class="share-buttons">
        <a href="https://facebook.example.test/share">Share on Facebook</a>
        <a href="https://x.example.test/share">Share on X</a>
        <a href="mailto:?subject=Kestrel%20Bridge">Share by email</a>
      </div>
      <figure class="lead-image">
        <img src="/images/kestrel-bridge.jpg" alt="Cars crossing the reopened Kestrel Bridge" width="800" height="450">
        <figcaption>Photo caption text. Credit: Gazette Photo</figcaption>
      </figure>
      <div class="article-body">
{paras}
      </div>
      <aside class="newsletter-box">
        <h3>Subscribe to our newsletter</h3>
        <p>Get the day's top Norhaven stories delivered to your inbox every morning.</p>
        <form action="/newsletter" method="post"><input type="email" name="email" placeholder="Your email address"><button type="submit">Sign up</button></form>
      </aside>
    </article>
    <aside class="sidebar">
      <h2>Trending</h2>
      <ol>
        <li><a href="/news/council-housing-vote">Council backs Mill Street housing plan</a></li>
        <li><a href="/sport/norhaven-rovers-promotion">Norhaven Rovers one win from promotion</a></li>
        <li><a href="/news/seagull-steals-sandwich">Watch: seagull steals mayor's sandwich</a></li>
      </ol>
    </aside>
    <section class="related-stories">
      <h2>Related stories</h2>
      <ul>
        <li><a href="/news/bridge-closure-extended">Kestrel Bridge closure extended by six months</a></li>
        <li><a href="/news/bridge-steel-shortage">Steel shortage delays bridge works</a></li>
        <li><a href="/news/bus-route-12-diversion">Route 12 buses diverted during bridge closure</a></li>
      </ul>
    </section>
  </main>
  <footer class="site-footer">
    <ul>
      <li><a href="/privacy">Privacy policy</a></li>
      <li><a href="/terms">Terms of use</a></li>
      <li><a href="/contact">Contact us</a></li>
    </ul>
    <p>&copy; 2024 Daily Gazette Media Ltd. All rights reserved.</p>
  </footer>
</body>
</html>
"""


def simple_page(a: dict) -> str:
    """A more modest news page (used for the .html.gz and the WARC responses)."""
    paras = "\n".join(f"      <p>{esc(p)}</p>" for p in a["paras"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{esc(a['title'])} - {esc(a['outlet'])}</title>
  <meta name="author" content="{esc(a['author'])}">
  <meta property="og:title" content="{esc(a['title'])}">
  <meta property="og:site_name" content="{esc(a['outlet'])}">
  <meta property="og:url" content="{esc(a['url'])}">
  <meta property="article:published_time" content="{a['published']}">
  <link rel="canonical" href="{esc(a['url'])}">
</head>
<body>
  <nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/local">Local</a> | <a href="/sport">Sport</a></nav>
  <main>
    <article>
      <h1>{esc(a['title'])}</h1>
      <p class="byline">By {esc(a['author'])}</p>
{paras}
    </article>
  </main>
  <footer><p>&copy; {a['date'][:4]} {esc(a['outlet'])}. All rights reserved.</p></footer>
</body>
</html>
"""


# --------------------------------------------------------------------------
# binary helpers: PNG, PDF, zip
# --------------------------------------------------------------------------

def tiny_png(width: int = 8, height: int = 8) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type 0
        for x in range(width):
            row += bytes((x * 32 % 256, y * 32 % 256, 128))
        rows.append(bytes(row))
    raw = b"".join(rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def tiny_pdf() -> bytes:
    stream = b"BT /F1 18 Tf 72 720 Td (Norhaven Courier annual report 2023) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def tiny_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in [("readme.txt", "Archive of press photos, not an article.\n"),
                              ("photos/index.csv", "file,caption\nharbour.jpg,Boats at dawn\n")]:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, content)
    return buf.getvalue()


# --------------------------------------------------------------------------
# WARC
# --------------------------------------------------------------------------

WARC_DATE = "2024-05-06T12:00:{:02d}Z"


def _rid(n: int) -> str:
    return f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"


def warc_records(writer, filename: str, *, only_first_two_responses: bool = False) -> list:
    """Build the records for crawl.warc(.gz) with fixed IDs and dates."""
    from warcio.statusandheaders import StatusAndHeaders

    recs = []

    def rec(uri, rtype, n, payload=b"", http_headers=None, extra=None):
        hdrs = {"WARC-Record-ID": _rid(n), "WARC-Date": WARC_DATE.format(n)}
        if extra:
            hdrs.update(extra)
        r = writer.create_warc_record(uri, rtype, payload=io.BytesIO(payload), length=len(payload),
                                      http_headers=http_headers, warc_headers_dict=hdrs)
        recs.append(r)
        return r

    info = ("software: storydiff tests/make_fixtures.py\r\n"
            "format: WARC File Format 1.0\r\n"
            "description: synthetic crawl of fictional news sites for tests\r\n"
            "isPartOf: storydiff-fixtures\r\n").encode()
    rec("", "warcinfo", 1, info, extra={"WARC-Filename": filename, "Content-Type": "application/warc-fields"})

    def http_resp(status, ctype, body):
        return StatusAndHeaders(status, [("Content-Type", ctype), ("Content-Length", str(len(body))),
                                         ("Date", "Mon, 06 May 2024 12:00:00 GMT"), ("Server", "nginx")],
                                protocol="HTTP/1.1")

    s, st = ARTICLES["surplus"], ARTICLES["storm"]
    if not only_first_two_responses:
        req = StatusAndHeaders("GET /politics/budget-surplus HTTP/1.1",
                               [("Host", "www.norhaven-courier.test"), ("User-Agent", "storydiff-fixture-crawler/1.0"),
                                ("Accept", "text/html")], is_http_request=True)
        rec(s["url"], "request", 2, b"", http_headers=req, extra={"WARC-Concurrent-To": _rid(3)})
    body = simple_page(s).encode()
    rec(s["url"], "response", 3, body, http_resp("200 OK", "text/html; charset=utf-8", body))
    body = simple_page(st).encode()
    rec(st["url"], "response", 4, body, http_resp("200 OK", "text/html; charset=utf-8", body))
    if only_first_two_responses:
        return recs
    png = tiny_png()
    rec("https://www.norhaven-courier.test/static/logo.png", "response", 5, png, http_resp("200 OK", "image/png", png))
    nf = (b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
          b"<body><h1>Page not found</h1><p>Sorry, the page you were looking for does not exist.</p></body></html>\n")
    rec("https://www.norhaven-courier.test/politics/old-story", "response", 6, nf,
        http_resp("404 Not Found", "text/html; charset=utf-8", nf))
    return recs


def make_warc(path: Path, gzip_it: bool) -> None:
    from warcio.warcwriter import WARCWriter
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gzip_it, warc_version="1.0")
    for r in warc_records(w, path.name):
        w.write_record(r)
    write(path, buf.getvalue())


def make_truncated_warc(path: Path) -> None:
    """warcinfo + first response complete, second response's gzip member cut in half."""
    from warcio.warcwriter import WARCWriter
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True, warc_version="1.0")
    recs = warc_records(w, "truncated.warc.gz", only_first_two_responses=True)
    ends = []
    for r in recs:
        w.write_record(r)
        ends.append(buf.tell())
    data = buf.getvalue()
    cut = ends[1] + (ends[2] - ends[1]) // 2
    write(path, data[:cut])


# --------------------------------------------------------------------------
# feeds
# --------------------------------------------------------------------------

def content_html(a: dict) -> str:
    return "".join(f"<p>{esc(p)}</p>" for p in a["paras"])


def make_rss() -> str:
    items = []
    for key in ("lighthouse", "quota"):
        a = ARTICLES[key]
        items.append(f"""    <item>
      <title>{esc(a['title'])}</title>
      <link>{a['url']}</link>
      <guid isPermaLink="true">{a['url']}</guid>
      <pubDate>{a['published']}</pubDate>
      <dc:creator>{esc(a['author'])}</dc:creator>
      <description>{esc(a['paras'][0])}</description>
      <content:encoded><![CDATA[{content_html(a)}]]></content:encoded>
    </item>""")
    s = RSS_SHORT
    items.append(f"""    <item>
      <title>{esc(s['title'])}</title>
      <link>{s['url']}</link>
      <guid isPermaLink="true">{s['url']}</guid>
      <pubDate>{s['published']}</pubDate>
      <dc:creator>{esc(s['author'])}</dc:creator>
      <description>{esc(s['description'])}</description>
    </item>""")
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Harbour Post</title>
    <link>https://www.harbour-post.test/</link>
    <description>News from Port Calder, Eastbrook and the coast</description>
    <language>en-gb</language>
    <lastBuildDate>Wed, 10 Apr 2024 09:00:00 +0100</lastBuildDate>
{body}
  </channel>
</rss>
"""


def make_atom() -> str:
    entries = []
    for key in ("buses", "painting"):
        a = ARTICLES[key]
        entries.append(f"""  <entry>
    <title>{esc(a['title'])}</title>
    <link rel="alternate" type="text/html" href="{a['url']}"/>
    <id>{a['url']}</id>
    <published>{a['published']}</published>
    <updated>{a['published']}</updated>
    <author><name>{esc(a['author'])}</name></author>
    <summary>{esc(a['paras'][0])}</summary>
    <content type="html">{esc(content_html(a))}</content>
  </entry>""")
    body = "\n".join(entries)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example News</title>
  <link rel="alternate" href="https://www.example-news.test/"/>
  <link rel="self" href="https://www.example-news.test/feeds/atom.xml"/>
  <id>https://www.example-news.test/</id>
  <updated>2024-03-28T09:15:00Z</updated>
{body}
</feed>
"""


# --------------------------------------------------------------------------
# chrome text
# --------------------------------------------------------------------------

def make_chrome_text() -> str:
    a = ARTICLES["glacier"]
    lines = [
        "<!-- Google tag (gtag.js) -->",
        "!-- Google tag (gtag.js) -->",
        "News   /   World   /   Editor's Choice",
        "",
        a["title"],
        "",
        "March 3, 2024",
        "",
        "The snout of the Vardal glacier seen from the valley floor in late summer, when meltwater streams run at their highest. Credit: Reuters",
        "",
        a["paras"][0],
        "",
        a["paras"][1],
        "",
        "Researchers from the Northern Ice Institute set up a GPS station on the glacier surface in September. (Photo by AFP)",
        "",
        *sum(([p, ""] for p in a["paras"][2:]), []),
        "Written in English by John Doe for Example Times.",
        "",
        "SHARE THIS ARTICLE",
        "",
        "Subscribe to our newsletter",
        "",
        "Example Times' website can also be accessed at the following alternate addresses:",
        "",
        "www.exampletimes.test",
        "www.example-times.test",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# huge file for tests
# --------------------------------------------------------------------------

def make_huge(path, size_bytes: int, seed: int = SEED) -> Path:
    """Write a plain-text article-like file of exactly ``size_bytes`` bytes.

    Paragraphs are built from the fixture articles with a running paragraph
    number, so the content is deterministic but not one repeated line.
    Streams to disk; memory use stays small regardless of size.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool = [p for a in ARTICLES.values() for p in a["paras"]]
    written = 0
    n = 0
    with path.open("wb") as fh:
        while written < size_bytes:
            n += 1
            chunk = f"[{n}] {rng.choice(pool)}\n\n".encode("utf-8")
            if written + len(chunk) > size_bytes:
                chunk = chunk[: size_bytes - written]
                # don't cut through a multi-byte char (pool is ASCII, but be safe)
                chunk = chunk.decode("utf-8", "ignore").encode("utf-8").ljust(size_bytes - written, b" ")
            fh.write(chunk)
            written += len(chunk)
    return path


# --------------------------------------------------------------------------
# main generation
# --------------------------------------------------------------------------

def header_block(a: dict) -> str:
    return (f"title: {a['title']}\nurl: {a['url']}\noutlet: {a['outlet']}\n"
            f"date: {a['date']}\nauthor: {a['author']}\n\n")


def generate() -> list[Path]:
    out: list[Path] = []
    P = INPUTS

    # 1-4 plain
    out.append(write(P / "plain/council.txt", body_text(ARTICLES["council"]["paras"])))
    s = ARTICLES["strike"]
    out.append(write(P / "plain/strike_with_header.txt", header_block(s) + body_text(s["paras"])))
    f = ARTICLES["flood"]
    out.append(write(P / "plain/flood.txt", body_text(f["paras"])))
    out.append(write(P / "plain/flood.json", json.dumps({k: f[k] for k in ("title", "url", "outlet", "date", "author")},
                                                        indent=2, ensure_ascii=False) + "\n"))
    out.append(write(P / "plain/gzipped.txt.gz", gz(body_text(ARTICLES["library"]["paras"]).encode())))

    # 5 html
    out.append(write(P / "html/article.html", full_chrome_page(ARTICLES["bridge"])))
    out.append(write(P / "html/article.html.gz", gz(simple_page(ARTICLES["market"]).encode())))

    # 6 jsonl
    def jl(recs):
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    w = article_record("warehouse")
    alt = {"headline": w["title"], "link": w["url"], "source": w["outlet"],
           "published": ARTICLES["warehouse"]["published"], "author": w["author"], "content": w["text"]}
    out.append(write(P / "jsonl/articles.jsonl", jl([article_record("schoolweek"), article_record("windfarm"),
                                                     alt, article_record("tram")])))
    custom = []
    for key in ("ferry", "maternity"):
        r = article_record(key)
        custom.append({"story_title": r["title"], "url": r["url"], "publisher": r["outlet"],
                       "date": r["date"], "author": r["author"], "story_body": r["text"]})
    out.append(write(P / "jsonl/custom_fields.jsonl", jl(custom)))
    out.append(write(P / "jsonl/articles.jsonl.gz", gz(jl([article_record("drought"),
                                                           article_record("strike_ends")]).encode())))

    # 7 warc
    make_warc(P / "warc/crawl.warc.gz", gzip_it=True)
    make_warc(P / "warc/crawl.warc", gzip_it=False)
    out += [P / "warc/crawl.warc.gz", P / "warc/crawl.warc"]

    # 8 feeds
    out.append(write(P / "feeds/rss.xml", make_rss()))
    out.append(write(P / "feeds/atom.xml", make_atom()))

    # 9 dupes
    a_text, b_text = wire_text(WIRE_A), wire_text(WIRE_B)
    out.append(write(P / "dupes/wire_a.txt", a_text))
    out.append(write(P / "dupes/wire_b.txt", b_text))
    out.append(write(P / "dupes/wire_a_copy.txt", a_text))

    # 10 chrome
    out.append(write(P / "chrome/chrome_text.txt", make_chrome_text()))

    # ---- bad inputs -----------------------------------------------------
    B = BAD
    rng = random.Random(SEED)
    out.append(write(B / "empty.txt", b""))
    out.append(write(B / "whitespace.txt", "   \n\n \t  \n        \n\n   \n"))
    out.append(write(B / "binary.bin", b"\x00\x01\x02\x00\xff\xfe" + rng.randbytes(2042)))
    out.append(write(B / "image.png", tiny_png()))
    out.append(write(B / "doc.pdf", tiny_pdf()))
    full = gz(body_text(ARTICLES["council"]["paras"]).encode())
    out.append(write(B / "truncated.txt.gz", full[: len(full) // 2]))
    make_truncated_warc(B / "truncated.warc.gz")
    out.append(B / "truncated.warc.gz")
    out.append(write(B / "latin1.txt", LATIN1_TEXT.encode("cp1252")))
    c1, c2 = article_record("cycling"), article_record("pier")
    mal = "".join([
        json.dumps(c1) + "\n",
        '{"title": "Council meeting adjourned", "url": "https://www.norhaven-courier.test/x", "text": "The meeting was adjourned after\n',
        json.dumps(c2) + "\n",
        json.dumps({"title": "Headline with no body", "url": "https://www.harbour-post.test/news/no-body",
                    "outlet": "Harbour Post", "date": "2024-05-03"}) + "\n",
        json.dumps(["text", "This line is a JSON list, not an object."]) + "\n",
    ])
    out.append(write(B / "malformed.jsonl", mal))
    out.append(write(B / "malformed.html", MALFORMED_HTML))
    out.append(write(B / "garbage.warc", GARBAGE_WARC))
    out.append(write(B / "unknown.xyz", tiny_zip()))
    return out


MALFORMED_HTML = """<!DOCTYPE html>
<html><head><title>Norhaven Courier</title>
<body>
<nav class="main-nav"><ul>
<li><a href="/">Home</a>
<li><a href="/news">News</a>
<li><a href="/sport">Sport</a>
<li><a href="/weather">Weather
</ul></nav>
<div class="content"><div class="article-body"><p class=
<script>loadArticle(</script>
</div></span></td>
<footer>&copy; 2024 Norhaven Courier
"""

# Note: warcio parses any first line with 5+ space-separated tokens as an ARC
# header, so the first line here is kept short to make warcio fail loudly.
GARBAGE_WARC = """Download failed.
The crawler saved this plain text note instead of the archive you asked for.
Nothing in this file is a WARC record header, a content length or an HTTP
response; it is just a few lines of ordinary text with a .warc extension.
"""


# --------------------------------------------------------------------------
# verification
# --------------------------------------------------------------------------

def check_word_counts() -> None:
    for key, a in ARTICLES.items():
        n = word_count(body_text(a["paras"]))
        assert 150 <= n <= 400, (key, n)
    for name, t in [("latin1", LATIN1_TEXT), ("wire_a", wire_text(WIRE_A)), ("wire_b", wire_text(WIRE_B))]:
        n = word_count(t)
        assert 150 <= n <= 400, (name, n)


def verify() -> None:  # pragma: no cover - developer tool
    import feedparser
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    def extract(html_bytes_or_str):
        d = trafilatura.bare_extraction(html_bytes_or_str, with_metadata=True)
        if d is None:
            return None
        return d if isinstance(d, dict) else d.as_dict()

    def check_html(name, doc, a, chrome_words=()):
        assert doc, name
        for k, want in [("title", a["title"]), ("date", a["date"]), ("author", a["author"]),
                        ("sitename", a["outlet"])]:
            assert doc.get(k) == want, (name, k, doc.get(k), want)
        text = doc["text"]
        for p in a["paras"]:
            assert p.split(".")[0] in text, (name, "missing paragraph", p[:60])
        for w in chrome_words:
            assert w not in text, (name, "chrome leaked", w)
        print(f"  {name}: title/date/author/sitename OK, url={doc.get('url')!r}, "
              f"{word_count(text)} words, no chrome leak")

    print("HTML")
    doc = extract((INPUTS / "html/article.html").read_text())
    check_html("html/article.html", doc, ARTICLES["bridge"],
               ["Share on Facebook", "Subscribe to our newsletter", "Trending", "cookies",
                "Related stories", "All rights reserved", "Photo caption text", "Accept all"])
    doc = extract(gzip.decompress((INPUTS / "html/article.html.gz").read_bytes()).decode())
    check_html("html/article.html.gz", doc, ARTICLES["market"], ["All rights reserved"])
    doc = extract((BAD / "malformed.html").read_text())
    print(f"  bad/malformed.html -> {None if doc is None else repr(doc.get('text'))}")
    assert doc is None or len((doc.get("text") or "").split()) < 10

    print("WARC")
    for fn in ("crawl.warc.gz", "crawl.warc"):
        with open(INPUTS / "warc" / fn, "rb") as fh:
            recs = []
            for r in ArchiveIterator(fh):
                status = r.http_headers.get_statuscode() if r.http_headers and r.rec_type == "response" else None
                ctype = r.http_headers.get_header("Content-Type") if r.http_headers else None
                payload = r.content_stream().read()
                recs.append((r.rec_type, r.rec_headers.get_header("WARC-Record-ID"),
                             r.rec_headers.get_header("WARC-Date"), status, ctype,
                             r.rec_headers.get_header("WARC-Target-URI"), payload))
        print(f"  {fn}: " + ", ".join(f"{t}{'/' + s if s else ''}" for t, _, _, s, *_ in recs))
        assert [t for t, *_ in recs] == ["warcinfo", "request", "response", "response", "response", "response"]
        htmls = [x for x in recs if x[0] == "response" and x[3] == "200" and x[4].startswith("text/html")]
        assert len(htmls) == 2
        for x, key in zip(htmls, ("surplus", "storm")):
            assert x[5] == ARTICLES[key]["url"]
            check_html(f"{fn}:{key}", extract(x[6].decode()), ARTICLES[key], ["All rights reserved"])
        assert any(x[4] == "image/png" and x[6].startswith(b"\x89PNG") for x in recs)
        assert any(x[3] == "404" for x in recs)
    with open(BAD / "truncated.warc.gz", "rb") as fh:
        got = []
        try:
            for r in ArchiveIterator(fh):
                got.append((r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), len(r.content_stream().read())))
            err = None
        except Exception as e:  # noqa: BLE001
            err = e
        print(f"  bad/truncated.warc.gz: records yielded (type, uri, payload bytes)={got}; exception={err!r}")
        assert [g[0] for g in got][:2] == ["warcinfo", "response"]
    with open(BAD / "truncated.warc.gz", "rb") as fh:
        for r in ArchiveIterator(fh):
            declared = int(r.rec_headers.get_header("Content-Length"))
            hdr_len = r.http_headers.total_len if r.http_headers else 0
            got_bytes = hdr_len + len(r.raw_stream.read())
            print(f"    {r.rec_type:9s} Content-Length={declared:5d} bytes available={got_bytes:5d}"
                  f"{'  <-- TRUNCATED' if got_bytes < declared else ''}")
    with open(BAD / "garbage.warc", "rb") as fh:
        try:
            list(ArchiveIterator(fh))
            raise AssertionError("garbage.warc parsed")
        except ArchiveLoadFailed as e:
            print(f"  bad/garbage.warc -> ArchiveLoadFailed: {str(e)[:60]}")

    print("Feeds")
    rss = feedparser.parse(str(INPUTS / "feeds/rss.xml"))
    assert not rss.bozo, rss.bozo_exception
    assert rss.feed.title == "Harbour Post" and len(rss.entries) == 3
    for e, key in zip(rss.entries[:2], ("lighthouse", "quota")):
        a = ARTICLES[key]
        assert e.title == a["title"] and e.link == a["url"] and e.author == a["author"]
        assert "%04d-%02d-%02d" % tuple(e.published_parsed[:3]) == a["date"]
        txt = trafilatura.extract(f"<html><body><article>{e.content[0].value}</article></body></html>") or ""
        assert word_count(txt) >= 150, (key, word_count(txt))
    e = rss.entries[2]
    assert "content" not in e and e.summary == RSS_SHORT["description"]
    print(f"  rss.xml: 3 items, 2 with content:encoded, 1 description-only ({word_count(e.summary)} words)")
    atom = feedparser.parse(str(INPUTS / "feeds/atom.xml"))
    assert not atom.bozo, atom.bozo_exception
    assert atom.feed.title == "Example News" and len(atom.entries) == 2
    for e, key in zip(atom.entries, ("buses", "painting")):
        a = ARTICLES[key]
        assert e.title == a["title"] and e.link == a["url"] and e.author == a["author"]
        assert "%04d-%02d-%02d" % tuple(e.published_parsed[:3]) == a["date"]
        assert e.content[0].type == "text/html" and a["paras"][-1].split(",")[0] in e.content[0].value
    print("  atom.xml: 2 entries with html content")

    print("JSONL / gzip / text")
    for fn, n in [("articles.jsonl", 4), ("custom_fields.jsonl", 2)]:
        rows = [json.loads(line) for line in (INPUTS / "jsonl" / fn).read_text().splitlines()]
        assert len(rows) == n
    rows = [json.loads(line) for line in gzip.decompress((INPUTS / "jsonl/articles.jsonl.gz").read_bytes()).decode().splitlines()]
    assert len(rows) == 2
    ok = bad = 0
    for line in (BAD / "malformed.jsonl").read_text().splitlines():
        try:
            v = json.loads(line)
            ok += isinstance(v, dict) and "text" in v
        except json.JSONDecodeError:
            bad += 1
    assert (ok, bad) == (2, 1), (ok, bad)
    assert word_count(gzip.decompress((INPUTS / "plain/gzipped.txt.gz").read_bytes()).decode()) >= 150
    try:
        gzip.decompress((BAD / "truncated.txt.gz").read_bytes())
        raise AssertionError("truncated gz decompressed")
    except EOFError as e:
        print(f"  bad/truncated.txt.gz -> EOFError: {e}")
    raw = (BAD / "latin1.txt").read_bytes()
    try:
        raw.decode("utf-8")
        raise AssertionError("latin1.txt is valid utf-8")
    except UnicodeDecodeError:
        pass
    assert raw.decode("cp1252") == LATIN1_TEXT and b"\x92" in raw
    try:
        import charset_normalizer
        best = charset_normalizer.from_bytes(raw).best()
        print(f"  bad/latin1.txt: not UTF-8; charset_normalizer guesses {best.encoding!r}; "
              f"recovered ok={str(best) == LATIN1_TEXT}")
    except ImportError:
        pass
    assert (BAD / "image.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (BAD / "doc.pdf").read_bytes().startswith(b"%PDF-1.4")
    assert zipfile.is_zipfile(BAD / "unknown.xyz")
    assert b"\x00" in (BAD / "binary.bin").read_bytes()
    assert (BAD / "empty.txt").stat().st_size == 0
    assert not (BAD / "whitespace.txt").read_text().strip()
    print("  all bad-input sanity checks OK")


def main(argv: list[str]) -> int:
    check_word_counts()
    files = generate()
    for p in sorted(set(files)):
        size = p.stat().st_size
        assert size <= MAX_FILE_BYTES, (p, size)
        print(f"{size:7d}  {p.relative_to(DATA)}")
    a, b = wire_text(WIRE_A), wire_text(WIRE_B)
    print(f"wire_a vs wire_b word 3-shingle Jaccard: {jaccard(a, b):.3f}")
    if "--verify" in argv:
        verify()
        print("verify: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
