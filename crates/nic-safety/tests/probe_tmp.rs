#[test]
fn probe() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/manuals");
    let mut paras: Vec<String> = Vec::new();
    for d in ["vehicle", "vehicle/html", "forklift", "hvac", "medical"] {
        for e in std::fs::read_dir(format!("{root}/{d}")).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let t = std::fs::read_to_string(&p).unwrap();
                let t = t.replace("&middot;", "·").replace("&deg;", "°");
                let mut cleaned = String::new(); let mut in_tag = false;
                for c in t.chars() { if c == '<' { in_tag = true; } else if c == '>' { in_tag = false; cleaned.push(' '); } else if !in_tag { cleaned.push(c); } }
                for para in cleaned.split("\n\n") { if para.trim().len() > 40 { paras.push(para.trim().to_string()); } }
            }
        }
    }
    let words = |s: &str| s.to_lowercase().split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 3).map(|w| w.to_string()).collect::<std::collections::HashSet<_>>();
    let qs = include_str!("/tmp/nicsafety/premise.txt");
    for q in qs.lines().filter(|l| !l.trim().is_empty()) {
        let qw = words(q);
        let mut scored: Vec<(usize, &String)> = paras.iter().map(|p| (words(p).intersection(&qw).count(), p)).collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0));
        let ev: Vec<&str> = scored.iter().take(4).map(|s| s.1.as_str()).collect();
        match nic_safety::check_premise(q, &ev) {
            Some(f) => println!("FINDING {q}\n   claimed={} | manual={} | {}", f.claimed, f.manual_value.chars().take(100).collect::<String>(), f.explanation.chars().take(200).collect::<String>()),
            None => println!("none    {q}"),
        }
    }
}
