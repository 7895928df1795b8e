//! The application narrative: the fields of the MLIT
//! スマートシティ実装化支援事業 application template, their order and their
//! labels (seed 002: 申請様式の方向性 その1「スマートシティ実行計画の概要」,
//! その2「今回提案事業の概要」 and 「実証の内容」). Pages, the diff of two
//! versions and the documents read the list from here, so there is one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::project::Text;

/// A narrative field of the application form, in the form's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, strum::VariantArray)]
pub enum AppField {
    /// 都市・まちづくりのビジョン.
    Vision,
    /// スマートシティ導入のストーリー.
    Story,
    /// 具体的な計画・取組.
    ConcretePlan,
    /// キーコンセプト.
    KeyConcept,
    /// 導入するサービスの概要.
    ServiceOverview,
    /// スマートシティ（サービス）のデザイン.
    ServiceDesign,
    /// 費用負担の考え方.
    CostBurden,
    /// 想定する利用者とそのニーズ.
    UsersAndNeeds,
    /// 本格導入後の効果検証.
    EffectVerification,
    /// 実証の概要.
    Demonstration,
    /// 実証内容の必要性・妥当性.
    Necessity,
    /// 実証事業のスケジュール（月別）.
    ScheduleMonths,
    /// 本格導入までのスケジュールおよび中長期的な展望（年度別）.
    ScheduleYears,
}

impl AppField {
    /// Every field, in the order of the form.
    pub const ALL: &[AppField] = <AppField as strum::VariantArray>::VARIANTS;

    /// The key in the project file (`application.<key>`) and in forms.
    pub fn key(self) -> &'static str {
        self.labels().0
    }

    /// The field of a key.
    pub fn from_key(key: &str) -> Option<AppField> {
        AppField::ALL.iter().copied().find(|f| f.key() == key)
    }

    /// The heading of the official form (Japanese), or its English
    /// rendering.
    pub fn label(self, english: bool) -> &'static str {
        let (_, ja, en) = self.labels();
        if english { en } else { ja }
    }

    /// (key, 日本語 heading of the MLIT form, English).
    fn labels(self) -> (&'static str, &'static str, &'static str) {
        match self {
            AppField::Vision => ("vision", "都市・まちづくりのビジョン", "Vision of the city"),
            AppField::Story => (
                "story",
                "スマートシティ導入のストーリー",
                "Story of the smart-city introduction",
            ),
            AppField::ConcretePlan => (
                "concrete_plan",
                "具体的な計画・取組",
                "Concrete plan and initiatives",
            ),
            AppField::KeyConcept => ("key_concept", "キーコンセプト", "Key concept"),
            AppField::ServiceOverview => (
                "service_overview",
                "導入するサービスの概要",
                "Overview of the service",
            ),
            AppField::ServiceDesign => (
                "service_design",
                "スマートシティ（サービス）のデザイン",
                "Design of the smart city (service)",
            ),
            AppField::CostBurden => ("cost_burden", "費用負担の考え方", "Thinking on cost burden"),
            AppField::UsersAndNeeds => (
                "users_and_needs",
                "想定する利用者とそのニーズ",
                "Intended users and their needs",
            ),
            AppField::EffectVerification => (
                "effect_verification",
                "本格導入後の効果検証",
                "Effect verification after full implementation",
            ),
            AppField::Demonstration => (
                "demonstration",
                "実証の概要",
                "Outline of the demonstration",
            ),
            AppField::Necessity => (
                "necessity",
                "実証内容の必要性・妥当性",
                "Necessity and appropriateness of the demonstration",
            ),
            AppField::ScheduleMonths => (
                "schedule_months",
                "実証事業のスケジュール（月別）",
                "Schedule of the demonstration (by month)",
            ),
            AppField::ScheduleYears => (
                "schedule_years",
                "本格導入までのスケジュールおよび中長期的な展望（年度別）",
                "Schedule to full implementation and medium- to long-term outlook (by year)",
            ),
        }
    }
}

impl std::fmt::Display for AppField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// The narrative of an application, with the fields of the MLIT
/// スマートシティ実装化支援事業 application template (seed 002: 申請様式の方向性
/// その1「スマートシティ実行計画の概要」and その2「今回提案事業の概要」). The
/// consortium itself (◎ representative, ○ key members) comes from
/// [`Project::members`]; the money from the line items and funding sources.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationForm {
    /// 都市・まちづくりのビジョン: what city the municipality aims for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vision: Option<Text>,
    /// スマートシティ導入のストーリー: the issues and how they are solved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<Text>,
    /// 具体的な計画・取組: the concrete plan and how it solves the issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concrete_plan: Option<Text>,
    /// キーコンセプト: what the service is to achieve, in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_concept: Option<Text>,
    /// 導入するサービスの概要: purpose and content, links with neighbours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_overview: Option<Text>,
    /// スマートシティ(サービス)のデザイン: architecture, data, infrastructure,
    /// the user's side, PLATEAU use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_design: Option<Text>,
    /// 費用負担の考え方: cost burden and short- and long-term monetisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_burden: Option<Text>,
    /// 想定する利用者とそのニーズ: intended users, why, and their needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users_and_needs: Option<Text>,
    /// 本格導入後の効果検証: timing, method, items and target values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect_verification: Option<Text>,
    /// 実証の概要: what the demonstration verifies, its method, what is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demonstration: Option<Text>,
    /// 実証内容の必要性・妥当性.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub necessity: Option<Text>,
    /// 実証事業のスケジュール (by month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_months: Option<Text>,
    /// 本格導入までのスケジュールおよび中長期的な展望 (by year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_years: Option<Text>,
    /// 自治体窓口: the municipality's contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

impl ApplicationForm {
    /// The narrative fields in the order of the form, with their keys.
    pub fn fields(&self) -> Vec<(&'static str, Option<&Text>)> {
        AppField::ALL
            .iter()
            .map(|f| (f.key(), self.get(*f)))
            .collect()
    }

    /// One narrative field.
    pub fn get(&self, field: AppField) -> Option<&Text> {
        match field {
            AppField::Vision => self.vision.as_ref(),
            AppField::Story => self.story.as_ref(),
            AppField::ConcretePlan => self.concrete_plan.as_ref(),
            AppField::KeyConcept => self.key_concept.as_ref(),
            AppField::ServiceOverview => self.service_overview.as_ref(),
            AppField::ServiceDesign => self.service_design.as_ref(),
            AppField::CostBurden => self.cost_burden.as_ref(),
            AppField::UsersAndNeeds => self.users_and_needs.as_ref(),
            AppField::EffectVerification => self.effect_verification.as_ref(),
            AppField::Demonstration => self.demonstration.as_ref(),
            AppField::Necessity => self.necessity.as_ref(),
            AppField::ScheduleMonths => self.schedule_months.as_ref(),
            AppField::ScheduleYears => self.schedule_years.as_ref(),
        }
    }

    /// One narrative field, to fill in.
    pub fn get_mut(&mut self, field: AppField) -> &mut Option<Text> {
        match field {
            AppField::Vision => &mut self.vision,
            AppField::Story => &mut self.story,
            AppField::ConcretePlan => &mut self.concrete_plan,
            AppField::KeyConcept => &mut self.key_concept,
            AppField::ServiceOverview => &mut self.service_overview,
            AppField::ServiceDesign => &mut self.service_design,
            AppField::CostBurden => &mut self.cost_burden,
            AppField::UsersAndNeeds => &mut self.users_and_needs,
            AppField::EffectVerification => &mut self.effect_verification,
            AppField::Demonstration => &mut self.demonstration,
            AppField::Necessity => &mut self.necessity,
            AppField::ScheduleMonths => &mut self.schedule_months,
            AppField::ScheduleYears => &mut self.schedule_years,
        }
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        AppField::ALL.iter().all(|f| self.get(*f).is_none()) && self.contact.is_none()
    }
}

/// The municipality's contact for the application (自治体窓口).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// 担当者.
    pub name: String,
    /// Tel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tel: Option<String>,
    /// Mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_file_format_s_and_unique() {
        let mut form = ApplicationForm::default();
        for (i, &f) in AppField::ALL.iter().enumerate() {
            assert_eq!(AppField::from_key(f.key()), Some(f));
            *form.get_mut(f) = Some(Text {
                ja: format!("{i}"),
                en: None,
            });
        }
        // Every key is the serde name of its field in the project file.
        let json = serde_json::to_value(&form).expect("json");
        for &f in AppField::ALL {
            assert!(json.get(f.key()).is_some(), "{}", f.key());
        }
        assert_eq!(form.fields().len(), AppField::ALL.len());
        assert_eq!(AppField::Vision.label(false), "都市・まちづくりのビジョン");
        assert_eq!(AppField::from_key("nope"), None);
    }
}
