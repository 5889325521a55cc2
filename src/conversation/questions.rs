//! The questions the dialog can ask, a catalogue to search: each names
//! its slot (the names of the call corpus), the fact its answer settles,
//! how it is asked by voice and by text, and when it is worth asking.

/// Why a question is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A safety check: asked whenever its condition holds and the caller
    /// has not already answered it, since the owner's scripts depend on it.
    Safety,
    /// A follow-up the rules read: asked only when the answer could change
    /// the lane.
    FollowUp,
    /// Worth knowing for whoever goes out (a baby in a cold house): asked
    /// whenever it applies and is not yet known.
    Context,
}

pub struct Question {
    pub slot: &'static str,
    /// The fact the answer settles.
    pub fact: &'static str,
    pub purpose: Purpose,
    /// A CEL condition over the facts so far: when the question applies.
    pub when: &'static str,
    pub ask: &'static str,
}

pub static QUESTIONS: &[Question] = &[
    // One question covers both gas and carbon monoxide: a caller who has
    // either says so, and the phrases find which.
    Question {
        slot: "gas_smell",
        fact: "gas_smell",
        purpose: Purpose::Safety,
        when: "no_heat || no_hot_water || heater_leaking || co_alarm",
        ask: "Do you smell gas, like rotten eggs, or is a carbon monoxide alarm going off?",
    },
    Question {
        slot: "co_alarm",
        fact: "co_alarm",
        purpose: Purpose::Safety,
        when: "gas_smell && !no_heat && !no_hot_water && !heater_leaking",
        ask: "Is a carbon monoxide alarm going off right now?",
    },
    Question {
        slot: "sparks_or_smoke",
        fact: "electrical_fire",
        purpose: Purpose::Safety,
        when: "power_total || power_partial || mentions_electrical && !electrical_fire",
        ask: "Do you see sparks or smoke, or smell burning, anywhere near the outlets or the panel?",
    },
    Question {
        slot: "water_near_electrical",
        fact: "water_near_electrical",
        purpose: Purpose::Safety,
        when: "burst_pipe || water_leaking || heater_leaking || sewage_backup || standing_water || cannot_stop_water",
        ask: "Is any of the water near outlets, cords or the electrical panel?",
    },
    Question {
        slot: "ceiling_sagging",
        fact: "ceiling_sagging",
        purpose: Purpose::Safety,
        when: "water_coming_in || drips_when_raining || roof_damage || roof_open || standing_water || mold || mentions_ceiling",
        ask: "Is any ceiling sagging or bulging with water?",
    },
    Question {
        slot: "can_stop_water",
        fact: "leak_stopped",
        purpose: Purpose::FollowUp,
        when: "(burst_pipe || water_leaking || heater_leaking) && !leak_stopped",
        ask: "Can you stop the water, for example at the main shut-off valve?",
    },
    Question {
        slot: "utility_outage",
        fact: "utility_outage",
        purpose: Purpose::FollowUp,
        when: "power_total || power_partial",
        ask: "Is the power out for your neighbours too?",
    },
    Question {
        slot: "water_coming_in_now",
        fact: "water_coming_in",
        purpose: Purpose::FollowUp,
        when: "roof_damage || roof_open || drips_when_raining || mentions_roofing",
        ask: "Is water coming in through the roof or ceiling right now?",
    },
    Question {
        slot: "standing_water",
        fact: "standing_water",
        purpose: Purpose::FollowUp,
        when: "water_coming_in || water_leaking || burst_pipe",
        ask: "Is there standing water on any floor?",
    },
    Question {
        slot: "roof_open_to_sky",
        fact: "roof_open",
        purpose: Purpose::FollowUp,
        when: "roof_damage",
        ask: "Is the roof open, so you can see the sky?",
    },
    Question {
        slot: "vulnerable_occupant",
        fact: "vulnerable",
        purpose: Purpose::Context,
        when: "no_heat || no_cooling || power_total || power_partial || frozen_pipe || no_water || medical_device || water_coming_in || ceiling_sagging || standing_water || roof_open || building_open",
        ask: "Is anyone in the home very young, elderly, ill, or on medical equipment?",
    },
];
