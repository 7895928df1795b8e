//! Sizing (one program, explained year by year) and the funding-stack
//! optimiser (every program at once) are two implementations of the same
//! rules. With a single candidate they must agree: over the horizon the
//! optimiser pays at least what sizing's window of first consecutive years
//! gives (it may choose a better window), and when the optimiser is held to
//! the years sizing funds, it pays exactly sizing's amount in each year.

use machi_domain::{Project, Yen};
use machi_programs::stack::{Minimise, optimise, violations};
use machi_programs::{Catalogue, ProgramKind, build_stack_problem, size};

fn examples() -> Vec<(String, Project)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let mut out: Vec<(String, Project)> = std::fs::read_dir(dir)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (
                p.display().to_string(),
                Project::from_toml_str(&text).expect("valid example"),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn a_single_program_is_sized_the_same_by_both() {
    let catalogue = Catalogue::bundled().expect("bundled programs");
    let mut compared = 0;
    for (name, project) in examples() {
        for program in catalogue.iter().filter(|p| p.kind == ProgramKind::Subsidy) {
            let types: Vec<Option<String>> = if program.types.is_empty() {
                vec![None]
            } else {
                program.types.iter().map(|t| Some(t.id.clone())).collect()
            };
            for ty in types {
                let sizing = size(&project, program, ty.as_deref()).expect("sizes");
                let problem = build_stack_problem(
                    &project,
                    &[(program, ty.as_deref())],
                    Minimise::Consortium,
                )
                .expect("problem");
                let plan = optimise(&problem).expect("optimises");
                assert!(
                    violations(&problem, &plan).is_empty(),
                    "{name} {}",
                    program.id
                );

                // Held to sizing's years, the optimiser must find sizing's amounts.
                let mut held = problem.clone();
                for (allowed, year) in held.programs[0].types[0]
                    .allowed
                    .iter_mut()
                    .zip(&sizing.years)
                {
                    *allowed &= year.blocked.is_none();
                }
                let held_plan = optimise(&held).expect("optimises");
                for (i, year) in sizing.years.iter().enumerate() {
                    let paid: Yen = held_plan
                        .awards
                        .iter()
                        .filter(|a| a.year == i)
                        .map(|a| a.amount)
                        .sum();
                    assert_eq!(
                        paid, year.amount,
                        "{name} {}:{ty:?} {}",
                        program.id, year.year
                    );
                }
                assert!(
                    plan.total >= sizing.total,
                    "{name} {}:{ty:?}: optimiser {} < sizing {}",
                    program.id,
                    plan.total,
                    sizing.total
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 12, "compared {compared} program types");
}
