//! Variables: every `${name}` a value refers to is defined by a resource, a built-in or an earlier capture.

use super::Validator;
use crate::spec::node::Node;
use crate::spec::source::did_you_mean;
use crate::spec::template;

impl Validator<'_> {
    /// Reports malformed and undefined `${…}` references in a node.
    pub(super) fn check_template(&mut self, node: &Node) {
        if let Err((at, message)) = template::check_syntax(node) {
            let at = at.clone();
            self.node_error(&at, message);
            return;
        }
        let undefined: Vec<(Node, String)> = template::references(node)
            .into_iter()
            .filter(|(_, name)| !self.vars.contains(name))
            .map(|(n, name)| (n.clone(), name))
            .collect();
        for (at, name) in undefined {
            let best = did_you_mean(&name, self.vars.iter().chain(&self.columns).map(String::as_str)).map(str::to_owned);
            let e = self.node_error(&at, format!("undefined variable `{name}`"));
            match best {
                Some(best) => e.help(format!("did you mean `{best}`?")),
                None => e.help("variables come from resources declared above (`q.url`), built-ins (prefix, region, run_id) and earlier `capture`s"),
            };
        }
    }

}
