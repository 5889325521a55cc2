//! The phrase catalogue: which words mean which fact.
//!
//! A catalogue to search, not to read top to bottom. Each pattern is a run
//! of terms separated by ` .. ` (other words may come between them, a few
//! at most, in the same sentence); a term lists alternatives with `|`; a
//! word ending in `*` matches any word it begins. Negation, doubt and the
//! past are judged around a match by `facts`, so patterns state only the
//! thing itself. Facts are names the owner's rules read; the trade says
//! which job a mention points to.

/// One fact the assessment can find in a caller's words.
pub struct FactDef {
    pub name: &'static str,
    /// What the owner reads in `check` output and on the dashboard.
    pub meaning: &'static str,
    /// The trade a mention of this fact points to, if any.
    pub trade: Option<&'static str>,
    pub patterns: &'static [&'static str],
    /// Patterns that, matched in the same sentence, cancel a match: "water
    /// heater" is not a heating problem.
    pub vetoes: &'static [&'static str],
}


pub static FACTS: &[FactDef] = &[
    // Heating and cooling.
    FactDef {
        name: "no_heat",
        meaning: "furnace, boiler or heat pump not heating",
        trade: Some("hvac"),
        patterns: &[
            "furn*|fernace|furnas|boiler*|broiler|heat pump|heat|heat's|heating|radiator*|baseboard*|rooftop unit|thermostat .. quit|stopped|died|dead|broke*|fail*|locked out|shut* off|shuts off|won't|isn't heating|isn't firing|isn't coming|isn't working|isn't running|not heating|not firing|not coming|not working|not kicking|doesn't work|doesn't come|stopped working|blowing cold|cold air|keeps trying|keeps shutting|keeps cutting|out again|all cold|ice cold|stone cold|freezing|nothing happens|no heat|just clicks|isn't doing anything|not doing anything|doing nothing|won't do anything|does nothing",
            "furn*|fernace|boiler*|heat|heating|thermostat ... nothing .. out of the vents|from the vents|out of the registers",
            "furn*|fernace|furnas|boiler*|heat pump|heat|heat's|heating|radiator*|baseboard* . is out|'s out|went out|off|down|cold|clicks|out",
            "no heat|no heating|without heat|lost heat|lost our heat|heat is off|heat's off",
            "heat .. not coming|isn't coming|won't come|not working|went off|is off|'s off",
            "nothing .. heat comes out|heat coming out",
            "no heat comes out",
        ],
        vetoes: &[
            "water heater|hot water|space heater|dryer|oven|stove|dishwasher|washer|car|truck|heat lamp|heated floor",
            "still .. putting out heat|heating|heats|works|runs fine|working fine",
            "tune up|tune-up|maintenance|check up|checkup",
            "heat exchanger",
        ],
    },
    FactDef {
        name: "no_cooling",
        meaning: "air conditioning not cooling",
        trade: Some("hvac"),
        patterns: &[
            "ac|air conditioner|air conditioning|central air|cooling|outside unit|condenser|heat pump .. not cooling|isn't cooling|won't cool|doesn't cool|not keeping up|isn't keeping up|can't keep up|blowing warm|blowing hot|warm air|hot air|room temp|quit|stopped|died|dead|broke*|out|not working|isn't working|won't turn|won't come|not coming|isn't coming",
            "no ac|no air conditioning|no cooling|not cooling|no air",
            "ac|air conditioner|air conditioning|central air . off|down|dead",
        ],
        vetoes: &["still cools|cools fine|cooling fine|cooling okay", "tune up|tune-up|maintenance", "compressor for"],
    },
    FactDef {
        name: "burst_pipe",
        meaning: "a pipe, supply line or hose burst, split or broke",
        trade: Some("plumbing"),
        patterns: &[
            "pipe*|line|hose|supply|copper .. burst*|split*|broke*|cracked|ruptur*|blew|came off|snapped|busted",
            "burst pipe|busted pipe|broken pipe",
        ],
        vetoes: &["sewer .. main|collapsed"],
    },
    FactDef {
        name: "water_leaking",
        meaning: "water is leaking or flowing now",
        trade: Some("plumbing"),
        patterns: &[
            "water* .. pouring|spraying|gushing|everywhere|all over|coming out|coming through|coming down|running|spreading|flooding|leaking|won't stop|still coming|dripping|pooling",
            "leak*|pouring|spraying|gushing|overflow*|flooding",
            "it's coming through|coming out of the bottom",
        ],
        vetoes: &["nothing .. leak*", "no leak", "roof|ice dam|shingle*|rain*|skylight|storm|gutter*|window"],
    },
    FactDef {
        name: "cannot_stop_water",
        meaning: "the caller cannot stop the water",
        trade: Some("plumbing"),
        patterns: &[
            "can't|cannot|couldn't .. find|reach|get to|turn .. shutoff|shut-off|shut off|main|valve|water off",
            "don't know where .. shutoff|shut off|main|valve",
            "valve*|handle .. won't|spins|stuck|broken|budge",
            "still .. coming out|leaking|pouring|spraying",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "leak_stopped",
        meaning: "the caller stopped the leak (valve or main closed)",
        trade: Some("plumbing"),
        patterns: &[
            "shut|closed|turned .. valve|main|water|it .. stopped|off",
            "it stopped|it's stopped|stopped leaking|not leaking anymore|no longer leaking|it's off now|not leaking now",
            "shut .. off at the street|off at the meter",
            "maintenance shut it off",
        ],
        vetoes: &["still .. coming|leaking|going|pouring|spraying"],
    },
    FactDef {
        name: "drip",
        meaning: "a slow drip from a fixture",
        trade: Some("plumbing"),
        patterns: &["faucet*|tap|spout|shower*|valve|sink|tub|toilet .. drip*", "drip* .. faucet|tap|spout|tub|sink"],
        vetoes: &["ceiling|roof"],
    },
    FactDef {
        name: "sewage_backup",
        meaning: "sewage backing up into the home",
        trade: Some("plumbing"),
        patterns: &[
            "sewage|sewer|dirty water|toilet water|floor drain .. backing up|backed up|coming up|comes up|coming back up|all over|across",
            "backing up .. sewage",
            "water .. coming back up|comes up .. shower|tub|floor drain",
            "sewage coming up",
        ],
        vetoes: &["nothing is backing up|nothing's backing up|not backing up"],
    },
    FactDef {
        name: "drain_slow",
        meaning: "a slow or clogged drain",
        trade: Some("plumbing"),
        patterns: &[
            "drain*|sink|tub|toilet*|shower|won't|wont .. slow*|clog*|backed up|won't drain|drain|sits",
            "clogged|slow drain",
            "takes forever to|slow to|won't .. drain|empty|go down",
        ],
        vetoes: &["dishwasher|washer|washing machine|ice machine|ice maker|fridge"],
    },
    FactDef {
        name: "heater_leaking",
        meaning: "the water heater is leaking",
        trade: Some("plumbing"),
        patterns: &["water heater .. leak*|water|pouring|coming out", "leak* .. water heater", "bottom of the tank"],
        vetoes: &["replaced"],
    },
    FactDef {
        name: "no_hot_water",
        meaning: "no hot water",
        trade: Some("plumbing"),
        patterns: &["no hot water", "hot water .. out|gone|quit|isn't|not", "pilot .. out|won't", "water heater .. quit|out|died|dark|not working|won't|cold|not heating|isn't heating"],
        vetoes: &[],
    },
    FactDef {
        name: "frozen_pipe",
        meaning: "a frozen pipe",
        trade: Some("plumbing"),
        patterns: &["pipe*|line|lines .. froze*|frozen|freez*", "froze|frozen"],
        vetoes: &["freezer", "frozen food"],
    },
    FactDef {
        name: "no_water",
        meaning: "no water at the taps",
        trade: Some("plumbing"),
        patterns: &["no water .. at all|anywhere|faucet*|tap*|kitchen|bathroom|hot or cold", "nothing comes out|nothing .. faucet*|tap*", "don't have any water|no water at"],
        vetoes: &[],
    },
    // Electrical.
    FactDef {
        name: "electrical_fire",
        meaning: "burning smell, smoke, sparks, arcing, or a hot outlet or panel",
        trade: Some("electrical"),
        patterns: &[
            "burn* smell|burning|burnt|scorch*|hot plastic|melting|melted|smoldering",
            "smell* .. burn*|burnt|hot plastic|plastic|electrical",
            "spark*|arcing|arced",
            "outlet*|panel|breaker*|box|switch|plug|cord|wire*|wiring|door|fixture .. hot|warm*|smok*|smoking|melt*|scorch*|sizzl*",
            "smoke .. outlet*|panel|wall|wire*|switch|fixture|box",
        ],
        vetoes: &["fire department|kitchen fire|small .. fire", "smoke detector|smoke alarm", "hot water", "dryer .. hot"],
    },
    FactDef {
        name: "water_near_electrical",
        meaning: "water near outlets, cords or the panel",
        trade: None,
        patterns: &[
            "water .. toward|near|around|under|by|at|into|reaching .. outlet*|panel|plug*|cord*|electric*|socket*|extension",
            "outlet*|panel|cord* .. sitting in|in the water|in water|wet|flooded",
            "floor .. under the panel",
            "dripping|leaking|pouring|coming|water .. out of|from|through|into .. light|fixture|outlet|switch|socket",
            "light|fixture .. dripping|leaking|full of water",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "power_total",
        meaning: "the whole home has no power",
        trade: Some("electrical"),
        patterns: &[
            "whole house|whole home|entire house|everything .. dark|no power|lost power|went out|off|dead|went off",
            "lost power|lost all|no power|no electricity|without power|power's out|power is out .. whole|entire|anywhere|house|everything|all",
            "power|power's|electricity .. out|went out|is out|'s out|off|gone .. whole|everywhere|house|anywhere",
            "house .. went dark|is dark|dark",
            "power went out|lost all the power|lost all power|no electricity anywhere|nothing works",
        ],
        vetoes: &["half|part of|one room|two rooms|some rooms|bedrooms|outlets in|one side"],
    },
    FactDef {
        name: "power_partial",
        meaning: "part of the home has no power",
        trade: Some("electrical"),
        patterns: &[
            "half|part|some|two|one side .. house|apartment|outlets|rooms|bedrooms|circuit* .. no power|lost power|quit|dead|out|went dead|off",
            "outlets .. dead|quit|stopped working|not working|went dead|no power",
            "breaker .. trip*|won't|keeps|flips",
            "power's out in|no power in|went dead",
        ],
        vetoes: &["whole house|entire house|everything|all the power|all power|anywhere"],
    },
    FactDef {
        name: "utility_outage",
        meaning: "the neighbours are dark too: the utility's outage",
        trade: Some("electrical"),
        patterns: &[
            "whole|entire .. street|block|neighborhood|area .. dark|out|no power",
            "neighbors|neighbours .. dark|out too|no power|lost power|don't have",
            "power company|utility truck|xcel truck|xcel",
        ],
        vetoes: &["have .. lights|power", "fine"],
    },
    FactDef {
        name: "medical_device",
        meaning: "a medical device that needs power",
        trade: Some("electrical"),
        patterns: &["cpap|bipap|oxygen machine|oxygen concentrator|concentrator|dialysis|ventilator|power wheelchair|powered wheelchair|feeding pump|oxygen|nebulizer|suction machine|apnea monitor|infusion pump|insulin"],
        vetoes: &[],
    },
    FactDef {
        name: "gas_smell",
        meaning: "a gas smell",
        trade: None,
        patterns: &[
            "smell* .. gas|rotten egg*|sulfur|sulphur",
            "gas smell|gas leak|smells like gas|rotten egg*",
            // Something sensed that might be gas; the doubt around it is
            // judged by `facts` ("not sure if that's gas").
            "that's gas|is it gas|is that gas|might be gas|could be gas|maybe gas|whiff of gas|odor of gas|gas odor|gas odour",
        ],
        vetoes: &["gas station|gas bill"],
    },
    FactDef {
        name: "co_alarm",
        meaning: "a carbon monoxide alarm sounding",
        trade: None,
        patterns: &[
            "co|carbon monoxide|carbon .. detector*|alarm*|monitor .. going off|goes off|went off|beep*|sounding|ringing|won't stop|chirp*|screaming|blaring|alarming",
            "co alarm|co detector|carbon monoxide alarm|carbon monoxide detector|carbon monoxide",
        ],
        vetoes: &[
            "battery .. low|replace",
            "quiet|silent|hasn't made|not going off|isn't going off|hasn't gone off|never went off|didn't go off|not beeping|isn't beeping|hasn't beeped|no alarm",
        ],
    },
    FactDef {
        name: "vulnerable",
        meaning: "someone very young, elderly, ill, disabled or on medical equipment",
        trade: None,
        patterns: &[
            "baby|babies|infant*|newborn*|toddler*",
            "weeks old|months old|month old|week old",
            "elderly|older|senior*|bedridden|bed bound|bedbound|hospital bed|disabled|disability|wheelchair|walker|handicapped|special needs|frail|hospice",
            "copd|oxygen|cpap|apnea|dialysis|ventilator|nebulizer|heart problems|heart condition|heart surgery|surgery|chemo*|cancer|pregnant|sick|ill|asthma|dementia|alzheimer*|diabetic|diabetes|stroke|parkinson*|immunocompromised",
            "grandma|grandmother|grandpa|grandfather",
            "is old|is very old|getting old|old man|old woman|old lady|old folks|old people",
            "AGE",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "ceiling_sagging",
        meaning: "a ceiling sagging with water",
        trade: Some("roofing"),
        patterns: &[
            "ceiling ... sag*|bulg*|droop*|bubble|hanging down|puffy|balloon",
            "ceiling .. dropping|coming down|come down|caving|cave in|falling",
            "sag*|bulg*|droop*|bubble|puffy .. ceiling",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "water_coming_in",
        meaning: "water coming through the roof or ceiling now",
        trade: None,
        patterns: &[
            "water*|rain*|it's .. coming through|coming in|dripping through|dripping from|dripping all|leaking through|pouring through|dripping onto|pouring in .. ceiling|roof|seam|drywall|light",
            "ceiling .. dripping|leaking|drips|pouring",
            "roof .. leaking|leaks",
            "dripping .. three places|two bedrooms|both rooms",
        ],
        vetoes: &["every time it rains|whenever it rains|when it rains|only when|dry now|dry today|all dry"],
    },
    FactDef {
        name: "plumbing_source",
        meaning: "the water comes from plumbing, not the roof",
        trade: None,
        patterns: &["toilet|pipe*|water heater|washer|washing machine|dishwasher|supply line|water line|overflow*|neighbor's|neighbour's|upstairs unit|tub|shower"],
        vetoes: &[],
    },
    FactDef {
        name: "drips_when_raining",
        meaning: "a leak that only drips when it rains",
        trade: Some("roofing"),
        patterns: &[
            "every time|whenever|when it|when the|only when .. rains|rain*|pours|storms",
            "stain .. after|rain",
            "ceiling stain|brown stain|water mark|water stain",
            "stopped when the rain|dry now|dry today|all dry",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "standing_water",
        meaning: "standing water over a room's floor",
        trade: Some("restoration"),
        patterns: &[
            "inch|inches|foot|feet .. of water|standing water",
            "standing water|under water|underwater|flooded",
            "water .. all over|everywhere .. floor|kitchen|downstairs|room",
            "water standing",
            "carpet* .. under|soaked",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "roof_open",
        meaning: "the roof is open to the sky",
        trade: Some("roofing"),
        patterns: &[
            "see .. sky|daylight|outside",
            "hole|opening .. roof|ceiling",
            "roof .. open|gone|hole",
            "open to the sky",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "building_open",
        meaning: "a door, window or wall broken so the home cannot be secured",
        trade: Some("restoration"),
        patterns: &[
            "window*|door*|wall|slider .. broke*|gone|smashed|shattered|open to|blown|busted|kicked in",
            "broke out .. window*",
            "board* up|boarded",
            "can't lock|can't secure|won't lock",
        ],
        vetoes: &["garage door opener"],
    },
    FactDef {
        name: "roof_damage",
        meaning: "roof damage: shingles, tiles, a limb or a hole",
        trade: Some("roofing"),
        patterns: &[
            "shingle*|tile*|plywood|flashing|roof .. off|missing|gone|ripped|peel*|torn|tore|blown|damage*|cracked|loose|came down|hole",
            "limb|tree|branch .. roof",
            "tore|ripped|peel* .. shingle*|roof",
            "storm damage|roof damage|hail",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "mold",
        meaning: "mold or mildew",
        trade: Some("restoration"),
        patterns: &["mold*|mildew|musty", "black spots|dark spots"],
        vetoes: &[],
    },
    FactDef {
        name: "fire_damage",
        meaning: "fire or smoke damage",
        trade: Some("restoration"),
        patterns: &["fire", "smoke smell|smells like smoke|smoke damage|soot"],
        vetoes: &["fire department"],
    },
    FactDef {
        name: "roof_leak",
        meaning: "water coming from the roof (an ice dam, shingles, flashing)",
        trade: Some("roofing"),
        patterns: &["ice dam*|icicles", "from the roof|roof .. leak*", "skylight .. drip*|leak*"],
        vetoes: &[],
    },
    // Jobs that may exceed the approval threshold.
    FactDef {
        name: "replace_heating",
        meaning: "replacing a furnace or boiler",
        trade: Some("hvac"),
        patterns: &[
            "replac*|new|install* .. furnace*|boiler*",
            "furnace*|boiler* ... replac*|new one|new system|quote on a new|price on a new",
        ],
        vetoes: &["new filter", "just moved"],
    },
    FactDef {
        name: "replace_cooling",
        meaning: "replacing central air conditioning",
        trade: Some("hvac"),
        patterns: &[
            "replac*|whole new|brand new|new .. ac|air conditioner|central air|system|condenser",
            "ac|air conditioner|central air ... replac*|new one|new system|whole new",
        ],
        vetoes: &["filter"],
    },
    FactDef {
        name: "replace_water_heater",
        meaning: "replacing a water heater",
        trade: Some("plumbing"),
        patterns: &["replac*|new .. water heater", "water heater .. replac*"],
        vetoes: &["already|been replaced"],
    },
    FactDef {
        name: "replace_sewer",
        meaning: "replacing a sewer line",
        trade: Some("plumbing"),
        patterns: &["sewer* .. replac*|collapsed|bid", "replac* .. sewer*|main line"],
        vetoes: &[],
    },
    FactDef {
        name: "replace_panel",
        meaning: "replacing the main electrical panel",
        trade: Some("electrical"),
        patterns: &["replac*|new|upgrad* .. panel", "panel .. replac*|upgrad*"],
        vetoes: &[],
    },
    FactDef {
        name: "repipe",
        meaning: "repiping a whole house",
        trade: Some("plumbing"),
        patterns: &["repipe|re-pipe|repiping", "replac* .. all the pipes|all the plumbing|all of the plumbing|all the piping|every pipe"],
        vetoes: &[],
    },
    FactDef {
        name: "replace_roof",
        meaning: "a full roof replacement",
        trade: Some("roofing"),
        patterns: &["roof replacement|new roof|reroof*|replace the roof|replace our roof|roof replaced|roof .. replaced"],
        vetoes: &[],
    },
    FactDef {
        name: "large_water_loss",
        meaning: "water over a large area (over about 1,000 sq ft)",
        trade: Some("restoration"),
        patterns: &["whole .. first floor|downstairs|house|basement .. water|under water|flooded", "AREA_OVER_1000"],
        vetoes: &[],
    },
    // Mentions that point to a trade without scoring anything.
    FactDef {
        name: "mentions_hvac",
        meaning: "heating, cooling or ventilation equipment",
        trade: Some("hvac"),
        patterns: &["furnace*|boiler*|heat pump|thermostat|ac|air conditioner|central air|radiators|rooftop unit|ductwork|vents|hvac|tune up|tune-up|heat|heating|cooling"],
        vetoes: &["water heater"],
    },
    FactDef {
        name: "mentions_plumbing",
        meaning: "plumbing: pipes, drains, fixtures, water heaters",
        trade: Some("plumbing"),
        patterns: &["pipe*|plumb*|toilet*|faucet*|drain*|sewer*|sink|tub|shower|water heater|water line|softener|sump|garbage disposal|plumber|no water"],
        vetoes: &["fridge|refrigerator|ice maker|roof drain"],
    },
    FactDef {
        name: "mentions_electrical",
        meaning: "electrical: outlets, breakers, wiring, power",
        trade: Some("electrical"),
        patterns: &["outlet*|breaker*|panel|wiring|wire*|electrical|electrician|power|lights|light switch|fuse*|gfci"],
        vetoes: &["power washing"],
    },
    FactDef {
        name: "mentions_roofing",
        meaning: "roofing: roofs, shingles, gutters, skylights",
        trade: Some("roofing"),
        patterns: &["roof|roofs|roof's|roofing|roofer*|shingle*|gutter*|skylight|fascia|soffit|ice dam|flashing|tarp|tarped|tarping"],
        vetoes: &[],
    },
    FactDef {
        name: "mentions_restoration",
        meaning: "restoration: water extraction, drying, mold, fire and smoke",
        trade: Some("restoration"),
        patterns: &["mold*|mildew|extraction|drying|dehumidif*|smoke smell|soot|water damage|board up|restoration"],
        vetoes: &[],
    },
    FactDef {
        name: "mentions_ceiling",
        meaning: "a ceiling",
        trade: None,
        patterns: &["ceiling*"],
        vetoes: &[],
    },
    FactDef {
        name: "mentions_garage_door",
        meaning: "garage doors",
        trade: Some("garage_door"),
        patterns: &["garage door .. spring|opener|stuck|off track|won't|broke*|snapped", "garage door opener"],
        vetoes: &["gone|fire"],
    },
    FactDef {
        name: "mentions_locksmith",
        meaning: "locks and keys",
        trade: Some("locksmith"),
        patterns: &["locked out|locked myself out|lock myself out|keys .. inside|locked in|rekey|locksmith|lost my keys|deadbolt|do locks|key snapped|key broke|broken key|lock is broken"],
        vetoes: &[],
    },
    FactDef {
        name: "mentions_appliance",
        meaning: "household and commercial appliances",
        trade: Some("appliance"),
        patterns: &["ice machine|ice maker|fridge|refrigerator|freezer|dishwasher|washer|washing machine|dryer|oven|stove|range|microwave|garbage disposal|air compressor|dental chair*|walk-in"],
        vetoes: &["water line|outlet|behind"],
    },
    FactDef {
        name: "mentions_pest",
        meaning: "pests",
        trade: Some("pest"),
        patterns: &["mice|rats|roaches|cockroach*|termite*|bed bugs|wasps|hornets|bees|raccoon*|squirrel*|exterminator"],
        vetoes: &[],
    },
    // How the caller speaks: anger and spam.
    FactDef {
        name: "wants_owner",
        meaning: "asks for the owner or a manager",
        trade: None,
        patterns: &[
            "talk|speak|speaking|talking|get me|put me through|connect me .. owner|manager|supervisor|boss|someone in charge|person in charge|OWNER_NAME|whoever runs|who runs|higher up|corporate",
            "need|want .. to talk to|to speak to .. OWNER_NAME",
            "is this the owner|whoever runs the|your boss|your manager|your supervisor|whoever's in charge|who's in charge|someone in charge|somebody in charge",
        ],
        vetoes: &["storm leads|leads pro|we sell|two minutes|business owner"],
    },
    FactDef {
        name: "threatens",
        meaning: "threatens a bad review, a lawsuit or a chargeback",
        trade: None,
        patterns: &[
            "lawyer|attorney|lawsuit|sue you|suing|small claims|chargeback|charge back|dispute the charge",
            "disput*|contest* .. charge|payment|bill",
            "leave|leaving|write|writing|post|posting .. review*|reviews",
            "telling everyone|tell everyone|warn everyone",
            "nextdoor|google|yelp|facebook|bbb .. everyone|review*",
            "1 star|one star|bad review|review .. google|yelp|bbb|angi",
            "google|yelp|bbb|better business bureau .. review|post*|report*",
            "post*|report* .. google|yelp|bbb|facebook|nextdoor|online",
        ],
        vetoes: &["google business listing|listing|google maps"],
    },
    FactDef {
        name: "repeat_failure",
        meaning: "says a previous visit failed twice or more",
        trade: None,
        patterns: &[
            "out twice|been out 2|been out two|third time|3rd time|two times already|twice this month|twice now|three times",
        ],
        vetoes: &[],
    },
    FactDef {
        name: "swearing",
        meaning: "swears at the assistant",
        trade: None,
        patterns: &["fuck*|f***|shit*|bullshit|damn it|goddamn*|asshole*|crap|bitch*|piss*|pissed"],
        vetoes: &[],
    },
    FactDef {
        name: "robocall",
        meaning: "a robocall, scam, sales pitch or prank",
        trade: None,
        patterns: &[
            "press one|press 1|press 9|press or call",
            "business listing|google listing|google maps|listing specialist|listing .. verified",
            "extended warranty|vehicle's warranty|car warranty",
            "disconnection department|unpaid balance|shut off in",
            "you have been selected|you've been selected|congratulations|free .. cruise|claim your prize|claim before|to claim",
            "refrigerator running|catch it",
            "booked jobs|facebook ads|google ads|seo|leads|marketing|done-for-you|lead generation",
            "we sell|we help .. companies|contractors|businesses",
            "earn|profit|trading bot|crypto|bitcoin|limited spots",
            "package could not be delivered|redeliver|update your info|incomplete address",
            "reply stop to opt out",
            "grant|grants|sba|stimulus|relief funds|recovery funds|business loan|line of credit|funding .. eligible|qualif*|approved|claim",
            "eligible for|qualifies for|you qualify|pre-approved|preapproved|pre approved",
            "we buy houses|buy your house|buy your home|cash offer|sell your house|sell your home",
            "price sheet|price list|wholesale|distributor|our catalog|bulk pricing",
            "just kidding|ha ha|haha|lol|jk",
            "solar .. installs|panels|savings|program|energy bills",
            "processing fees|credit card processing|merchant|lower your .. fees|rates|bills",
            "verify your|confirm your .. ein|account|identity|payment",
            "http*|www*",
        ],
        vetoes: &[],
    },
];

/// Words that, just before a match, say the opposite.
pub const NEGATORS: &[&str] = &[
    "no", "not", "never", "nothing", "nothing's", "none", "without", "isn't", "aren't", "wasn't",
    "don't", "doesn't", "didn't", "haven't", "hasn't", "won't", "can't", "nobody", "neither", "nor",
];

/// Phrases that mark doubt about what is near them.
pub const DOUBTS: &[&str] = &[
    "maybe", "might", "possibly", "not sure", "unsure", "can't tell", "can't really tell",
    "hard to tell", "idk", "i don't know if", "don't know if", "kind of", "kinda", "sort of",
    "could be", "i guess", "or what", "if that's normal", "if thats normal", "not certain",
    "i'm not sure", "think maybe", "may be", "probably nothing", "might be nothing",
    "comes and goes", "on and off",
];

/// Phrases that put anything near them in the past: long ago, or fixed.
pub const PAST: &[&str] = &[
    "used to", "last fall", "last year", "last month", "last winter", "last summer",
    "last spring", "months ago", "years ago", "already been", "been replaced", "all fixed",
    "was fixed", "got fixed",
];

/// Phrases that put an event near them in the past: it happened, it
/// stopped. A state ("the furnace quit last night") is not over because
/// it began before.
pub const PAST_EVENT: &[&str] = &[
    "earlier", "it stopped", "and stopped", "then it stopped", "but stopped", "stopped now",
    "until we", "until i", "not going off now", "stopped beeping", "last night", "nothing since",
    "since then", "hasn't done it since", "hasn't happened since", "not since", "been fine",
    "yesterday", "the other day", "last week", "on sunday", "on monday", "on tuesday",
    "on wednesday", "on thursday", "on friday", "on saturday", "a while ago", "no longer",
];

/// Words that keep a match in the present despite a past marker nearby.
pub const STILL: &[&str] = &["still", "right now", "now it's", "won't stop", "keeps"];
