//! Free text before it is saved (issue #11): whatever a helper types, masking what looks like a
//! password or a personal number terminates without a panic and is idempotent (masking its
//! result again changes nothing: no secret is left for a second pass to find).
#![no_main]

use libfuzzer_sys::fuzz_target;
use maillage_domain::sensitive::mask;

fuzz_target!(|data: &[u8]| {
    let text = maillage_fuzz::text(data);
    let once = mask(&text);
    let twice = mask(&once.text);
    assert_eq!(twice.text, once.text, "masquer deux fois change le texte");
});
