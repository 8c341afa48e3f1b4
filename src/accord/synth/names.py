"""Name vocabularies: UK forenames and surnames with realistic frequencies, and nicknames.

Faker's ``en_GB`` lists are the source (read once, never called per row). Its surnames
carry frequencies; its forenames are ordered by popularity but unweighted, so they get
Zipf weights by rank, which is how forename frequencies fall off in ONS baby-name
tables. Nicknames and spelling variants are Accord's own table: they are what makes
"Robert Smith" and "Bob Smith" the same person, the hardest everyday disagreement for
linkage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
from faker.providers.person.en_GB import Provider as _FakerPerson

from accord.synth.streams import FloatArray, IntArray, cumulative

__all__ = ["NICKNAMES", "NameVocabulary", "name_vocabulary"]

# Forename -> the names the same person is also recorded under (nicknames first, then
# spelling variants). Written for the names in Faker's en_GB lists.
NICKNAMES: dict[str, tuple[str, ...]] = {
    # male
    "David": ("Dave", "Davey"),
    "Christopher": ("Chris", "Kit"),
    "Thomas": ("Tom", "Tommy"),
    "John": ("Johnny", "Jon"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Stephen": ("Steve", "Steven"),
    "Steven": ("Steve", "Stephen"),
    "Andrew": ("Andy", "Drew"),
    "Michael": ("Mike", "Mick", "Micky"),
    "Daniel": ("Dan", "Danny"),
    "Peter": ("Pete",),
    "Richard": ("Rich", "Richie", "Dick"),
    "Matthew": ("Matt", "Mathew"),
    "Mathew": ("Matthew", "Matt"),
    "Robert": ("Rob", "Bob", "Bobby", "Robbie"),
    "Joshua": ("Josh",),
    "Josh": ("Joshua",),
    "Alan": ("Allan", "Allen"),
    "Allan": ("Alan",),
    "Ian": ("Iain",),
    "Iain": ("Ian",),
    "Samuel": ("Sam", "Sammy"),
    "Sam": ("Samuel",),
    "Anthony": ("Tony", "Ant", "Antony"),
    "Antony": ("Tony", "Anthony"),
    "Tony": ("Anthony",),
    "Alexander": ("Alex", "Sandy"),
    "Alex": ("Alexander",),
    "William": ("Will", "Bill", "Billy", "Liam"),
    "Billy": ("William",),
    "Kevin": ("Kev",),
    "Benjamin": ("Ben", "Benny"),
    "Ben": ("Benjamin",),
    "Philip": ("Phil", "Phillip"),
    "Phillip": ("Phil", "Philip"),
    "Gary": ("Garry", "Gaz"),
    "Garry": ("Gary",),
    "Joseph": ("Joe", "Joey"),
    "Joe": ("Joseph",),
    "Jonathan": ("Jon", "Jonny"),
    "Jacob": ("Jake",),
    "Jake": ("Jacob",),
    "Graham": ("Graeme",),
    "Graeme": ("Graham",),
    "Nicholas": ("Nick", "Nicky"),
    "Neil": ("Neal",),
    "Lewis": ("Louis", "Lew"),
    "Louis": ("Lewis", "Lou"),
    "Oliver": ("Ollie", "Olly"),
    "Timothy": ("Tim", "Timmy"),
    "Stuart": ("Stewart", "Stu"),
    "Stewart": ("Stuart", "Stu"),
    "Kenneth": ("Ken", "Kenny"),
    "Raymond": ("Ray",),
    "Geoffrey": ("Geoff", "Jeffrey"),
    "Jeffrey": ("Jeff", "Geoffrey"),
    "Connor": ("Conor",),
    "Conor": ("Connor",),
    "Terence": ("Terry", "Terrence"),
    "Terry": ("Terence",),
    "Harry": ("Henry", "Hal"),
    "Henry": ("Harry", "Hal"),
    "Malcolm": ("Mal",),
    "Callum": ("Calum", "Cal"),
    "Bradley": ("Brad",),
    "Patrick": ("Pat", "Paddy"),
    "Sean": ("Shaun", "Shawn"),
    "Shaun": ("Sean",),
    "Charles": ("Charlie", "Chas", "Chuck"),
    "Charlie": ("Charles",),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Leslie": ("Les",),
    "Ronald": ("Ron", "Ronnie"),
    "Mohammed": ("Mohammad", "Mohamed", "Muhammad"),
    "Mohammad": ("Mohammed", "Mohamed"),
    "Mohamed": ("Mohammed", "Mohammad"),
    "Jeremy": ("Jez", "Jerry"),
    "Christian": ("Chris",),
    "Dominic": ("Dom",),
    "Marc": ("Mark",),
    "Mark": ("Marc",),
    "Reece": ("Rhys", "Reese"),
    "Rhys": ("Reece",),
    "Dennis": ("Denis", "Den"),
    "Denis": ("Dennis",),
    "Russell": ("Russ",),
    "Gerald": ("Gerry", "Gerard"),
    "Gerard": ("Gerry", "Gerald"),
    "Francis": ("Frank", "Fran"),
    "Frank": ("Francis",),
    "Damian": ("Damien",),
    "Damien": ("Damian",),
    "Donald": ("Don", "Donny"),
    "Frederick": ("Fred", "Freddie"),
    "Douglas": ("Doug", "Dougie"),
    "Elliot": ("Elliott",),
    "Elliott": ("Elliot",),
    "Marcus": ("Marc", "Mark"),
    "Arthur": ("Art", "Artie"),
    "Vincent": ("Vince", "Vinny"),
    "Martin": ("Martyn", "Marty"),
    "Martyn": ("Martin",),
    "Ricky": ("Richard",),
    "Leonard": ("Len", "Lenny", "Leo"),
    "Lawrence": ("Laurence", "Larry", "Laurie"),
    "Glen": ("Glenn",),
    "Glenn": ("Glen",),
    "Gregory": ("Greg",),
    "Clifford": ("Cliff",),
    "Stanley": ("Stan",),
    "Danny": ("Daniel",),
    "Albert": ("Bert", "Albie"),
    "Tom": ("Thomas",),
    "Maurice": ("Mo",),
    "Nathan": ("Nat", "Nate"),
    "Jamie": ("James",),
    "Nigel": ("Nige",),
    "Darren": ("Daz",),
    "Cameron": ("Cam",),
    "Bryan": ("Brian",),
    "Brian": ("Bryan",),
    "Terrence": ("Terry",),
    # female
    "Susan": ("Sue", "Susie", "Suzanne"),
    "Sarah": ("Sara",),
    "Sara": ("Sarah",),
    "Rebecca": ("Becky", "Becca"),
    "Linda": ("Lynda", "Lyn"),
    "Lynda": ("Linda",),
    "Julie": ("Jules",),
    "Claire": ("Clare",),
    "Clare": ("Claire",),
    "Lauren": ("Loz",),
    "Christine": ("Chris", "Chrissie", "Tina"),
    "Nicola": ("Nicky", "Nikki"),
    "Gemma": ("Jemma",),
    "Jemma": ("Gemma",),
    "Jessica": ("Jess", "Jessie"),
    "Margaret": ("Maggie", "Peggy", "Meg", "Margie"),
    "Jacqueline": ("Jackie", "Jacqui"),
    "Emma": ("Em",),
    "Charlotte": ("Charlie", "Lottie"),
    "Deborah": ("Debbie", "Debra", "Deb"),
    "Debra": ("Deborah", "Debbie"),
    "Hannah": ("Hanna",),
    "Patricia": ("Pat", "Trish", "Tricia"),
    "Tracey": ("Tracy",),
    "Tracy": ("Tracey",),
    "Joanne": ("Jo", "Joanna"),
    "Joanna": ("Jo", "Joanne"),
    "Sophie": ("Sophia",),
    "Carol": ("Carole",),
    "Carole": ("Carol",),
    "Jane": ("Jayne",),
    "Jayne": ("Jane",),
    "Michelle": ("Shelley", "Shell"),
    "Victoria": ("Vicky", "Vikki", "Tori"),
    "Amy": ("Aimee",),
    "Aimee": ("Amy",),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"),
    "Helen": ("Helena",),
    "Samantha": ("Sam", "Sammy"),
    "Emily": ("Em", "Emmy"),
    "Rachel": ("Rachael",),
    "Rachael": ("Rachel",),
    "Anne": ("Ann", "Annie"),
    "Ann": ("Anne", "Annie"),
    "Amanda": ("Mandy",),
    "Mandy": ("Amanda",),
    "Jennifer": ("Jen", "Jenny"),
    "Katie": ("Kate", "Katy"),
    "Kate": ("Katie", "Katherine"),
    "Katy": ("Katie",),
    "Louise": ("Lou",),
    "Barbara": ("Babs", "Barb"),
    "Alison": ("Ali", "Allison"),
    "Sandra": ("Sandy",),
    "Caroline": ("Carrie", "Carolyn"),
    "Carolyn": ("Caroline", "Carol"),
    "Bethany": ("Beth",),
    "Beth": ("Bethany", "Elizabeth"),
    "Gillian": ("Gill", "Jill"),
    "Jill": ("Gillian",),
    "Natalie": ("Nat",),
    "Megan": ("Meg", "Meghan"),
    "Alice": ("Ali", "Allie"),
    "Lesley": ("Leslie",),
    "Catherine": ("Cathy", "Kate", "Katherine"),
    "Katherine": ("Kate", "Kathy", "Catherine"),
    "Kathryn": ("Kate", "Kathy"),
    "Hayley": ("Haley",),
    "Pamela": ("Pam",),
    "Danielle": ("Dani",),
    "Holly": ("Hollie",),
    "Hollie": ("Holly",),
    "Abigail": ("Abby", "Abbie", "Gail"),
    "Abbie": ("Abigail", "Abby"),
    "Valerie": ("Val",),
    "Olivia": ("Liv", "Livvy"),
    "Stephanie": ("Steph",),
    "Kathleen": ("Kath", "Kathy"),
    "Natasha": ("Tasha", "Tash"),
    "Georgia": ("George",),
    "Georgina": ("Gina", "George"),
    "Maureen": ("Mo",),
    "Zoe": ("Zoey",),
    "Judith": ("Judy", "Jude"),
    "Kerry": ("Kerrie",),
    "Stacey": ("Stacy",),
    "Eleanor": ("Ellie", "Nell", "Elle"),
    "Ellie": ("Eleanor",),
    "Janice": ("Jan",),
    "Lorraine": ("Lori",),
    "Lynn": ("Lynne",),
    "Lynne": ("Lynn",),
    "Andrea": ("Andi",),
    "Suzanne": ("Sue", "Suzy"),
    "Nicole": ("Nikki",),
    "Kirsty": ("Kirstie",),
    "Alexandra": ("Alex", "Lexi", "Sandra"),
    "Marion": ("Marian",),
    "Marian": ("Marion",),
    "Beverley": ("Bev", "Beverly"),
    "Melissa": ("Mel", "Missy"),
    "Melanie": ("Mel",),
    "Rosemary": ("Rose", "Rosie"),
    "Rosie": ("Rose", "Rosemary"),
    "Kimberley": ("Kim", "Kimberly"),
    "Kim": ("Kimberley",),
    "Fiona": ("Fi",),
    "Grace": ("Gracie",),
    "Molly": ("Mollie",),
    "Jasmine": ("Jas", "Jazz"),
    "Kayleigh": ("Kayley", "Kaylee"),
    "Teresa": ("Theresa", "Terri"),
    "Harriet": ("Hattie",),
    "Julia": ("Jules",),
    "Ashleigh": ("Ashley",),
    "Carly": ("Carley",),
    "Leah": ("Lea",),
    "Francesca": ("Fran", "Frankie"),
    "Frances": ("Fran", "Frankie"),
    "Hilary": ("Hillary",),
    "Dorothy": ("Dot", "Dottie", "Dolly"),
    "Josephine": ("Jo", "Josie"),
    "Bethan": ("Beth",),
    "Amelia": ("Millie", "Amy"),
    "Diana": ("Di",),
    "Lindsey": ("Lindsay",),
    "Jenna": ("Jena",),
    "Paige": ("Page",),
    "Shannon": ("Shanon",),
    "Sheila": ("Shelagh",),
    "Chelsea": ("Chelsey",),
    "Sian": ("Siân",),
}

# Siân keeps its accent: real registers hold it, and one non-ASCII variant keeps every
# consumer honest about Unicode. Typos are only ever applied to ASCII names.

FORENAME_ZIPF_EXPONENT = 0.9
"""How steeply forename frequency falls with popularity rank."""


@dataclass(frozen=True)
class NameVocabulary:
    """Forenames by sex, surnames, and the nickname table as index arrays.

    Names are held once as Arrow string arrays and drawn by index, so a million rows of
    names cost a million integers plus one ``take``.
    """

    forenames: pa.Array
    """Every forename: female names first, then male, then variants not in either list."""
    female: IntArray
    male: IntArray
    female_cum: FloatArray
    male_cum: FloatArray
    surnames: pa.Array
    surname_cum: FloatArray
    variant_offsets: IntArray
    """``variants[offsets[i]:offsets[i+1]]`` are the variants of forename ``i``."""
    variants: IntArray

    def variant_count(self, forename: IntArray) -> IntArray:
        return np.asarray(
            self.variant_offsets[forename + 1] - self.variant_offsets[forename], dtype=np.int64
        )


@lru_cache(maxsize=1)
def name_vocabulary() -> NameVocabulary:
    """Build the vocabulary once per process; every generator shares it."""
    female_names = list(dict.fromkeys(_FakerPerson.first_names_female))
    male_names = [n for n in dict.fromkeys(_FakerPerson.first_names_male) if n not in female_names]
    names = female_names + male_names
    index = {name: i for i, name in enumerate(names)}
    for variants in NICKNAMES.values():
        for variant in variants:
            if variant not in index:
                index[variant] = len(names)
                names.append(variant)

    offsets = [0]
    flat: list[int] = []
    for name in names:
        flat.extend(index[v] for v in NICKNAMES.get(name, ()))
        offsets.append(len(flat))

    def zipf(n: int) -> FloatArray:
        return cumulative(1.0 / np.arange(1, n + 1, dtype=np.float64) ** FORENAME_ZIPF_EXPONENT)

    surname_items = list(_FakerPerson.last_names.items())
    return NameVocabulary(
        forenames=pa.array(names, pa.string()),
        female=np.arange(len(female_names), dtype=np.int64),
        male=np.arange(len(female_names), len(female_names) + len(male_names), dtype=np.int64),
        female_cum=zipf(len(female_names)),
        male_cum=zipf(len(male_names)),
        surnames=pa.array([s for s, _ in surname_items], pa.string()),
        surname_cum=cumulative([w for _, w in surname_items]),
        variant_offsets=np.asarray(offsets, dtype=np.int64),
        variants=np.asarray(flat, dtype=np.int64),
    )
