"""The offline writer's vocabulary: genre palettes, the words that point to a genre, the people,
places and stakes a premise can name, and invented names to fill a cast."""

from __future__ import annotations

# Each palette: the words in a premise that point to it, its tone, where its scenes happen,
# what a fight is about when the premise names nothing, the people who fill a cast, and one
# event per episode (title, clause for synopses, noun phrase for dialogue).
GENRES: dict[str, dict] = {
    "horror": {
        "label": "horror",
        "keywords": {"ghost", "haunted", "haunt", "haunting", "demon", "curse", "cursed",
                     "zombie", "vampire", "possessed", "exorcism", "monster", "seance",
                     "creature", "nightmare", "witchcraft", "undead", "spirit", "horror"},
        "tone": "dread-soaked",
        "locations": ["flickering basement", "overgrown cemetery", "boarded-up chapel",
                      "fog-bound road", "nursery with peeling walls", "empty ballroom"],
        "stake": "the house",
        "people": ["medium", "caretaker", "priest", "night nurse", "paranormal blogger"],
        "events": [
            ("The First Knock", "something knocks from inside the walls", "the knocking"),
            ("Cold Hands", "a sleeper wakes with cold handprints", "the handprints"),
            ("The Old Photograph", "an old photograph shows one face too many",
             "the photograph"),
            ("Whispers", "the whispers start to use their names", "the whispers"),
            ("The Locked Room", "a locked room is found open", "the locked room"),
        ],
    },
    "fantasy": {
        "label": "fantasy",
        "keywords": {"dragon", "magic", "wizard", "witch", "sorcerer", "sorceress", "kingdom",
                     "prince", "princess", "spell", "elf", "fairy", "sword", "throne",
                     "enchanted", "prophecy", "knight", "quest", "realm", "mage", "fantasy"},
        "tone": "wondrous",
        "locations": ["throne room", "moonlit forest", "mountain pass", "tower library",
                      "market square", "crystal cave"],
        "stake": "the crown",
        "people": ["court mage", "squire", "oracle", "exiled knight", "smuggler queen"],
        "events": [
            ("The Prophecy Speaks", "an old prophecy names the wrong heir", "the prophecy"),
            ("Fire Over the Hills", "a dragon burns the northern farms", "the burning farms"),
            ("The Broken Seal", "a sealed spell begins to crack", "the broken seal"),
            ("A Crown for Sale", "the royal council is bought", "the bought council"),
            ("The Stolen Blade", "the founder's sword is stolen", "the stolen sword"),
        ],
    },
    "science fiction": {
        "label": "science fiction",
        "keywords": {"ship", "spaceship", "starship", "planet", "ai", "robot", "android",
                     "alien", "mars", "space", "galaxy", "colony", "clone", "future",
                     "cyborg", "asteroid", "orbit", "astronaut", "spacecraft", "moon"},
        "tone": "eerie",
        "locations": ["command deck", "cryo bay", "airlock", "hydroponics garden",
                      "observation dome", "engine room"],
        "stake": "the mission",
        "people": ["flight engineer", "ship's doctor", "navigator", "security chief",
                   "systems analyst"],
        "events": [
            ("Signal Lost", "the signal from home goes silent", "the lost signal"),
            ("The Override", "someone overrides the ship's controls", "the override"),
            ("Oxygen Count", "the oxygen count starts to drop", "the oxygen count"),
            ("The Clone in Cryo", "a second body is found in cryo", "the body in cryo"),
            ("Orbit Decay", "the orbit begins to decay", "the decaying orbit"),
        ],
    },
    "crime": {
        "label": "crime",
        "keywords": {"murder", "murdered", "murderer", "detective", "heist", "thief",
                     "robbery", "police", "cop", "inspector", "killer", "crime", "gang",
                     "mafia", "cartel", "steal", "steals", "stolen", "homicide", "theft",
                     "smuggler", "robber", "burglar"},
        "tone": "gritty",
        "locations": ["interrogation room", "rain-slick alley", "precinct bullpen",
                      "pawn shop", "docks warehouse", "all-night diner"],
        "stake": "the case",
        "people": ["informant", "defence lawyer", "crime reporter", "forensic analyst",
                   "getaway driver"],
        "events": [
            ("The Body in the Water", "a body surfaces at the docks", "the body"),
            ("A Witness Lies", "the only witness changes her story", "the witness's lie"),
            ("Prints on the Glass", "a print matches someone close", "the print"),
            ("The Second Job", "the crew plans a second job", "the second job"),
            ("Dirty Money", "marked money turns up in a locker", "the marked money"),
        ],
    },
    "thriller": {
        "label": "thriller",
        "keywords": {"spy", "conspiracy", "hostage", "kidnap", "kidnapped", "assassin",
                     "hacker", "blackmail", "blackmailed", "stalker", "bomb", "agent",
                     "missing", "fugitive", "escape", "witness", "followed", "thriller"},
        "tone": "tense",
        "locations": ["parking garage", "abandoned warehouse", "glass-walled office",
                      "subway platform", "motel room", "server room"],
        "stake": "the truth",
        "people": ["handler", "security consultant", "investigative journalist",
                   "burned agent", "night-shift guard"],
        "events": [
            ("Unknown Number", "a message arrives from an unknown number", "the message"),
            ("Followed", "someone is following them", "the tail"),
            ("Missing Evidence", "the evidence goes missing", "the missing evidence"),
            ("The Alibi", "an alibi falls apart", "the broken alibi"),
            ("A Deadly Deal", "a deal turns deadly", "the deal"),
        ],
    },
    "revenge": {
        "label": "revenge",
        "keywords": {"revenge", "betrayed", "betrayal", "avenge", "vengeance", "payback",
                     "framed", "ruined", "betrays"},
        "tone": "cold",
        "locations": ["penthouse suite", "boardroom", "charity gala", "prison visiting room",
                      "luxury car", "private jet cabin"],
        "stake": "the fortune",
        "people": ["fixer", "private investigator", "society columnist", "disgraced banker",
                   "loyal driver"],
        "events": [
            ("Unmasked", "the betrayer is unmasked", "the betrayer's mask"),
            ("The Transfer", "a fortune changes hands", "the transfer"),
            ("The Mask Slips", "a careful lie slips", "the slip"),
            ("Switching Sides", "an ally switches sides", "the defection"),
            ("The Trap", "a trap is sprung", "the trap"),
        ],
    },
    "workplace comedy": {
        "label": "workplace comedy",
        "keywords": {"office", "startup", "boss", "coworker", "coworkers", "colleague",
                     "intern", "ceo", "promotion", "company", "meeting", "deadline", "hr",
                     "employee", "manager", "pitch", "investor", "investors", "job"},
        "tone": "playful",
        "locations": ["open-plan office", "break room", "glass meeting room", "rooftop terrace",
                      "copy room", "lobby café"],
        "stake": "the company",
        "people": ["office manager", "overeager intern", "IT technician", "head of HR",
                   "sales lead"],
        "events": [
            ("Reply All", "an email goes to the whole company", "the email"),
            ("The Investor Visit", "an investor arrives a day early", "the early visit"),
            ("Team Building", "a team-building retreat goes wrong", "the retreat"),
            ("The Wrong Slide", "the wrong slide goes on the big screen", "the wrong slide"),
            ("Layoff Rumours", "a rumour of layoffs spreads", "the rumour"),
        ],
    },
    "family drama": {
        "label": "family drama",
        "keywords": {"family", "sister", "sisters", "brother", "brothers", "father", "mother",
                     "son", "daughter", "twin", "twins", "parent", "parents", "grandmother",
                     "grandfather", "inheritance", "inherit", "inherits", "funeral",
                     "sibling", "siblings", "estranged", "widow", "aunt", "uncle", "cousin",
                     "mom", "dad", "stepmother", "adopted", "heir", "heiress"},
        "tone": "bittersweet",
        "locations": ["family kitchen", "hospital corridor", "old farmhouse porch",
                      "cluttered attic", "school gate", "back garden"],
        "stake": "the family",
        "people": ["family lawyer", "old neighbour", "cousin", "family doctor", "godmother"],
        "events": [
            ("The Will", "the will is read aloud", "the will"),
            ("The Stranger at the Door", "a long-lost sibling appears", "the stranger"),
            ("What the Doctor Said", "a parent hides an illness", "the diagnosis"),
            ("The Letter", "an old letter is found", "the letter"),
            ("The Empty Chair", "someone skips the family dinner", "the empty chair"),
        ],
    },
    "romance": {
        "label": "romance",
        "keywords": {"love", "lover", "lovers", "heart", "wedding", "bride", "groom",
                     "fiance", "fiancee", "kiss", "crush", "marriage", "marry", "marries",
                     "romance", "boyfriend", "girlfriend", "affair", "proposal", "honeymoon",
                     "soulmate", "flame", "falls", "ex", "valentine", "date"},
        "tone": "heartfelt",
        "locations": ["rooftop garden", "rain-soaked street", "candlelit restaurant",
                      "hotel lobby", "art gallery", "seaside boardwalk"],
        "stake": "the promise",
        "people": ["florist", "wedding planner", "best friend", "bartender", "architect"],
        "events": [
            ("Almost Said", "a secret is almost spoken", "the secret"),
            ("The Old Flame", "an old flame returns", "the old flame"),
            ("Broken Promise", "a promise is broken", "the broken promise"),
            ("Interrupted", "a confession is interrupted", "the confession"),
            ("The Offer", "a rival makes an offer", "the offer"),
        ],
    },
    "comedy": {
        "label": "comedy",
        "keywords": {"prank", "accidentally", "mix-up", "karaoke", "fake", "pretend",
                     "pretends", "disaster", "bet", "chaos", "comedy", "hilarious"},
        "tone": "playful",
        "locations": ["food truck", "karaoke bar", "dog park", "wedding rehearsal",
                      "laundromat", "bowling alley"],
        "stake": "the plan",
        "people": ["roommate", "talent agent", "dog walker", "neighbour", "party planner"],
        "events": [
            ("The Lie Grows", "a small lie snowballs", "the lie"),
            ("Double Booked", "two dates are booked at once", "the double booking"),
            ("Wrong Phone", "the wrong phone is taken", "the wrong phone"),
            ("Too Far", "a prank goes too far", "the prank"),
            ("Overheard", "the worst person overhears everything", "the overheard call"),
        ],
    },
    "drama": {
        "label": "drama",
        "keywords": set(),
        "tone": "intimate",
        "locations": ["city apartment", "corner café", "train station", "hospital waiting room",
                      "riverside bench", "late-night bus"],
        "stake": "the secret",
        "people": ["old friend", "neighbour", "counsellor", "landlord", "coworker"],
        "events": [
            ("The Secret", "a secret comes out", "the secret"),
            ("The Choice", "a hard choice cannot wait", "the choice"),
            ("The Lie", "a kind lie falls apart", "the lie"),
            ("The Return", "someone comes back after years", "the return"),
            ("The Last Chance", "a second chance runs out", "the last chance"),
        ],
    },
}  # fmt: skip
# Words of the uncanny and the invented outweigh everyday ones ("a widow in a haunted house").
GENRE_WEIGHTS = {"horror": 2, "fantasy": 2, "science fiction": 2}
# When two genres are pointed to equally, the more particular one wins.
GENRE_ORDER = ["horror", "fantasy", "science fiction", "crime", "thriller", "revenge",
               "workplace comedy", "family drama", "romance", "comedy"]  # fmt: skip
DEFAULT_GENRE = "drama"
# What a requested genre may be called besides a palette's own name.
GENRE_ALIASES = {
    "family": "family drama", "sci-fi": "science fiction", "scifi": "science fiction",
    "sf": "science fiction", "workplace": "workplace comedy", "office comedy": "workplace comedy",
    "mystery": "crime", "noir": "crime", "suspense": "thriller", "love": "romance",
    "romantic comedy": "romance", "rom-com": "romance", "ghost story": "horror",
}  # fmt: skip

# Roles a relation gives: relation noun -> role in the story.
ANTAGONIST = {"rival", "nemesis", "enemy", "boss", "killer", "murderer", "stalker",
              "blackmailer", "villain", "tyrant", "stepmother", "kidnapper", "traitor",
              "thief", "landlord", "ghost", "usurper", "betrayer", "bully", "critic"}  # fmt: skip
LOVE_INTEREST = {"ex", "lover", "fiance", "fiancee", "husband", "wife", "boyfriend",
                 "girlfriend", "crush", "bride", "groom", "suitor", "sweetheart", "date",
                 "ex-husband", "ex-wife", "ex-boyfriend", "ex-girlfriend"}  # fmt: skip
ALLY = {"sister", "brother", "twin", "father", "mother", "son", "daughter", "mentor", "friend",
        "roommate", "partner", "assistant", "cousin", "aunt", "uncle", "grandmother",
        "grandfather", "neighbour", "neighbor", "sidekick", "colleague", "coworker", "intern",
        "mom", "dad", "apprentice", "bodyguard"}  # fmt: skip
# Relations within a family: they carry the protagonist's surname.
KIN = {"sister", "brother", "twin", "father", "mother", "son", "daughter", "cousin", "aunt",
       "uncle", "grandmother", "grandfather", "mom", "dad", "stepmother"}  # fmt: skip
# Anyone else a premise can name by what they do.
OCCUPATIONS = {
    "nurse", "detective", "chef", "pilot", "captain", "witch", "knight", "princess", "prince",
    "king", "queen", "doctor", "surgeon", "lawyer", "teacher", "student", "cop", "officer",
    "journalist", "reporter", "widow", "widower", "heir", "heiress", "ceo", "engineer",
    "scientist", "android", "robot", "ai", "stranger", "hacker", "spy", "agent", "priest",
    "nun", "soldier", "farmer", "baker", "singer", "dancer", "actor", "actress", "writer",
    "artist", "musician", "maid", "butler", "sheriff", "inspector", "mayor", "senator",
    "billionaire", "astronaut", "wizard", "sorcerer", "mage", "medium", "florist", "waiter",
    "waitress", "bartender", "founder", "manager", "employee", "designer", "architect",
    "photographer", "programmer", "con", "smuggler", "assassin", "orphan", "veteran", "woman",
    "man", "girl", "boy", "teenager", "mechanic", "librarian", "bride", "courier", "driver",
    "fisherman", "lighthouse keeper", "keeper", "caretaker", "professor", "inventor",
}  # fmt: skip
PERSON_NOUNS = ANTAGONIST | LOVE_INTEREST | ALLY | KIN | OCCUPATIONS
FEMALE_NOUNS = {"sister", "mother", "daughter", "wife", "girlfriend", "bride", "fiancee",
                "aunt", "grandmother", "widow", "queen", "princess", "actress", "nun",
                "stepmother", "heiress", "waitress", "mom", "woman", "girl", "ex-wife",
                "ex-girlfriend", "sorceress"}  # fmt: skip
MALE_NOUNS = {"brother", "father", "son", "husband", "boyfriend", "groom", "uncle",
              "grandfather", "king", "prince", "widower", "actor", "priest", "dad", "man", "boy",
              "ex-husband", "ex-boyfriend", "fisherman", "butler"}  # fmt: skip
# A title before a name ("Detective Ana Ruiz"): the person's noun, not part of the name.
TITLES = {"detective", "doctor", "dr", "captain", "inspector", "professor", "agent",
          "sheriff", "officer", "sister", "father", "mother", "uncle", "aunt", "prince",
          "princess", "king", "queen", "lady", "lord", "sir", "mr", "mrs", "ms",
          "miss"}  # fmt: skip
NUMBERS = {"two": 2, "three": 3, "four": 4, "twin": 2, "both": 2}
PLURALS = {"sisters": "sister", "brothers": "brother", "twins": "twin", "chefs": "chef",
           "rivals": "rival", "friends": "friend", "detectives": "detective",
           "nurses": "nurse", "witches": "witch", "cousins": "cousin", "lovers": "lover",
           "strangers": "stranger", "thieves": "thief", "exes": "ex", "doctors": "doctor",
           "students": "student", "roommates": "roommate", "siblings": "sibling",
           "astronauts": "astronaut", "spies": "spy", "coworkers": "coworker",
           "colleagues": "colleague", "founders": "founder", "bakers": "baker",
           "musicians": "musician", "dancers": "dancer", "knights": "knight",
           "princes": "prince", "princesses": "princess", "interns": "intern"}  # fmt: skip

# Places a premise names without a capital ("at the lighthouse").
PLACE_NOUNS = {"lighthouse", "hospital", "restaurant", "village", "island", "station",
               "castle", "mansion", "school", "office", "hotel", "farm", "city", "town",
               "forest", "kitchen", "bakery", "cafe", "café", "bar", "church", "prison",
               "academy", "palace", "manor", "mine", "colony", "lab", "laboratory", "museum",
               "theatre", "theater", "harbour", "harbor", "market", "asylum", "house",
               "apartment", "studio", "courthouse", "ranch", "vineyard", "temple",
               "monastery", "university", "college", "startup", "circus", "casino", "motel",
               "newsroom", "precinct", "boarding school", "orphanage", "spaceship", "starship",
               "ship", "submarine", "train", "estate", "winery", "salon", "gym", "library",
               "boutique", "diner", "shop", "bookshop", "bookstore", "nightclub", "club",
               "embassy", "cathedral", "observatory", "outpost", "base", "kingdom",
               "tower", "valley", "desert", "jungle", "bunker", "lodge", "cabin", "resort",
               "garage", "warehouse", "pub", "inn", "tavern", "chapel", "cemetery", "zoo",
               "festival", "hall", "graveyard"}  # fmt: skip
# Places one is in rather than at.
WIDE_PLACES = {"kingdom", "city", "town", "village", "island", "forest", "colony", "valley",
               "desert", "jungle", "house", "mansion", "apartment", "kitchen"}  # fmt: skip
PLACE_PREPOSITIONS = {"in", "at", "inside", "aboard", "on", "near", "beneath", "under",
                      "across", "outside", "to", "into"}  # fmt: skip
# What a fight can be about when the premise names it ("the same restaurant", "love letters").
STAKE_NOUNS = {"inheritance", "fortune", "secret", "secrets", "wedding", "restaurant",
               "company", "startup", "throne", "crown", "heart", "ring", "letter", "letters",
               "diary", "will", "baby", "farm", "house", "bakery", "ship", "colony", "truth",
               "election", "case", "contract", "deal", "promotion", "painting", "diamond",
               "necklace", "recipe", "album", "vote", "job", "trial", "cure", "formula", "map",
               "treasure", "key", "code", "land", "estate", "hotel", "shop", "custody",
               "scholarship", "championship", "competition", "contest", "manuscript",
               "lighthouse", "vineyard", "mansion", "band", "team", "business", "money",
               "evidence", "tape", "video", "photo", "photos", "egg", "sword", "relic",
               "signal", "mission", "reactor", "station", "café", "cafe", "kingdom",
               "salon", "diner", "bookshop", "title", "crew", "heist", "app"}  # fmt: skip
# A word before a stake noun that belongs to it ("love letters", "family farm").
STAKE_MODIFIERS = {"love", "family", "secret", "stolen", "last", "missing", "royal",
                   "dragon", "wedding", "winning", "golden", "final"}  # fmt: skip
# Capitalised words that name nobody.
NOT_NAMES = {"a", "an", "the", "when", "after", "before", "in", "on", "at", "as", "while",
             "two", "three", "four", "one", "her", "his", "their", "my", "our", "during",
             "ai", "ceo", "hr", "i", "if", "every", "each", "someone", "nobody", "everyone",
             "once", "years", "this", "that", "christmas", "halloween", "monday", "friday",
             "sunday", "saturday", "valentine", "valentine's", "new", "year"}  # fmt: skip

FEMALE_FIRST = ["Ava", "Mira", "Sana", "Iris", "Nadia", "Yuna", "Clara", "Elena", "Noor",
                "Ines", "Zara", "Lena", "Maya", "Rosa", "Aiko", "Priya", "Hana", "Freya",
                "Leila", "Tessa"]  # fmt: skip
MALE_FIRST = ["Leo", "Jonah", "Theo", "Mateo", "Felix", "Omar", "Ravi", "Kai", "Lucas",
              "Hugo", "Emil", "Dario", "Jin", "Viktor", "Sami", "Tomas", "Idris", "Marco",
              "Anton", "Reza"]  # fmt: skip
LAST_NAMES = ["Hart", "Vale", "Okafor", "Lindqvist", "Moreau", "Castillo", "Tanaka", "Brandt",
              "Quinn", "Sato", "Ferreira", "Novak", "Reyes", "Ashford", "Kline", "Duarte",
              "Mendez", "Holloway", "Achebe", "Varga", "Kowalski", "Byrne", "Haddad",
              "Petrov"]  # fmt: skip
HAIR = ["short black hair", "long auburn hair", "silver-streaked hair", "a sleek bob",
        "curly dark hair", "a shaved head", "braided hair", "wavy blonde hair"]  # fmt: skip
OUTFITS = ["a tailored charcoal suit", "a worn leather jacket", "a crisp white shirt",
           "a red silk dress", "a navy trench coat", "a knitted sweater",
           "a sharp emerald blazer", "a faded denim jacket"]  # fmt: skip
# What some people wear whatever the genre.
ROLE_OUTFITS = {"nurse": "a hospital scrub top", "doctor": "a white coat",
                "surgeon": "surgical scrubs", "chef": "a chef's white jacket",
                "detective": "a rumpled trench coat", "pilot": "a flight jacket",
                "astronaut": "a grey flight suit", "knight": "dented plate armour",
                "priest": "a black cassock", "bride": "a lace wedding dress",
                "witch": "a long dark cloak", "wizard": "a travel-stained robe"}  # fmt: skip
TRAITS = ["guarded", "ambitious", "reckless", "loyal", "calculating", "warm", "haunted",
          "charming", "stubborn", "secretive", "earnest", "impulsive"]  # fmt: skip
TIMES = ["dawn", "morning", "afternoon", "dusk", "night", "late night"]

# Titles: a genre's ways of naming a drama after a place ({at}: "in Lisbon") or after what it
# is about ({thing}: "Restaurant"), and after its lead ({lead}).
TITLES_BY_GENRE = {
    "horror": (
        ["The Haunting {at}", "Whatever Waits {at}"],
        ["The {thing} Knows", "Do Not Open the {thing}"],
    ),
    "fantasy": (
        ["The Last Crown {at}", "Legends {at}"],
        ["{lead} and the {thing}", "The {thing} Prophecy"],
    ),
    "science fiction": (
        ["Signal {at}", "Last Light {at}"],
        ["The {thing} Protocol", "{lead} Beyond the Stars"],
    ),
    "crime": (["Murder {at}", "Blood {at}"], ["The {thing} Job", "{lead} Takes the Case"]),
    "thriller": (
        ["Nowhere to Hide {at}", "Shadows {at}"],
        ["The {thing} Conspiracy", "{lead} Knows Too Much"],
    ),
    "revenge": (["Payback {at}", "The Reckoning {at}"], ["{lead}'s Revenge", "The {thing} Debt"]),
    "workplace comedy": (
        ["Nine to Five {at}", "Overtime {at}"],
        ["The {thing} Meltdown", "{lead} Gets Promoted"],
    ),
    "family drama": (
        ["Homecoming {at}", "The Long Table {at}"],
        ["Whoever Keeps the {thing}", "{lead}'s Family"],
    ),
    "romance": (["Love {at}", "A Kiss {at}"], ["The {thing} Between Us", "{lead} in Love"]),
    "comedy": (["Trouble {at}", "Total Chaos {at}"], ["The {thing} Fiasco", "{lead} Makes a Mess"]),
    "drama": (["Winter {at}", "Last Summer {at}"], ["What the {thing} Hides", "{lead}'s Secret"]),
}
