//! The guide: how sandboxes behave, and how to find and fix what they deny. Each page is a
//! Markdown file of `docs/` in the repository, shown here as it is there.
//!
//! | page | what it holds |
//! | --- | --- |
//! | [`policy_language`] | every item of `#[sandbox]`, `block::sandbox!` and `policy!`; paths, variables, broad grants, the rights of each class per Landlock ABI |
//! | [`semantics`] | where and when a sandbox is enforced, preparation, stacking, failing closed, the status line |
//! | [`scope`] | thread scope and process scope, and how every thread of a process is restricted |
//! | [`threads`] | threads and async (tokio), and thread pools (`own_thread`) |
//! | [`child_processes`] | confining a program you start; the presets |
//! | [`run_time_paths`] | policies built at run time, paths and ports known only at run time |
//! | [`runner`] | `sandbox_run`, the command-line runner, beside landrun and the kernel's sandboxer |
//! | [`denials`] | finding and fixing denials: the kernel's audit records, learning a policy |
//! | [`review`] | listing every sandbox of a program, and lock files |
//! | [`landlockconfig`] | the Landlock project's configuration format, out and in |
//! | [`threat_model`] | what a sandbox guarantees, and where that guarantee ends |
//! | [`performance`] | what a sandbox costs, and how it is measured |
//! | [`kernels`] | the kernels the tests run on: which ABIs real kernels verify, which are simulated |

// The pages link to each other by reference-style links whose targets, at the bottom of each
// file, are the other Markdown files, as the repository shows them. Here the same labels are
// defined first, as the modules of this guide: Markdown keeps the first definition of a label.
macro_rules! links {
    () => {
        "[policy-language]: crate::guide::policy_language\n\
         [paths]: crate::guide::policy_language#paths\n\
         [semantics]: crate::guide::semantics\n\
         [scope]: crate::guide::scope\n\
         [threads]: crate::guide::threads\n\
         [thread-pools]: crate::guide::threads#thread-pools\n\
         [child-processes]: crate::guide::child_processes\n\
         [child-presets]: crate::guide::child_processes#presets\n\
         [run-time-paths]: crate::guide::run_time_paths#paths-known-at-run-time\n\
         [run-time-ports]: crate::guide::run_time_paths#ports-known-at-run-time\n\
         [runner]: crate::guide::runner\n\
         [denials]: crate::guide::denials\n\
         [review]: crate::guide::review\n\
         [landlockconfig]: crate::guide::landlockconfig\n\
         [threat-model]: crate::guide::threat_model\n\
         [performance]: crate::guide::performance\n\
         [kernels]: crate::guide::kernels\n\n"
    };
}

#[doc = links!()]
#[doc = include_str!("../docs/policy-language.md")]
pub mod policy_language {}

#[doc = links!()]
#[doc = include_str!("../docs/semantics.md")]
pub mod semantics {}

#[doc = links!()]
#[doc = include_str!("../docs/scope.md")]
pub mod scope {}

#[doc = links!()]
#[doc = include_str!("../docs/threads.md")]
pub mod threads {}

#[doc = links!()]
#[doc = include_str!("../docs/child-processes.md")]
pub mod child_processes {}

#[doc = links!()]
#[doc = include_str!("../docs/run-time-paths.md")]
pub mod run_time_paths {}

#[doc = links!()]
#[doc = include_str!("../docs/runner.md")]
pub mod runner {}

#[doc = links!()]
#[doc = include_str!("../docs/denials.md")]
pub mod denials {}

#[doc = links!()]
#[doc = include_str!("../docs/review.md")]
pub mod review {}

#[doc = links!()]
#[doc = include_str!("../docs/landlockconfig.md")]
pub mod landlockconfig {}

#[doc = links!()]
#[doc = include_str!("../docs/threat-model.md")]
pub mod threat_model {}

#[doc = links!()]
#[doc = include_str!("../docs/performance.md")]
pub mod performance {}

#[doc = links!()]
#[doc = include_str!("../docs/kernels.md")]
pub mod kernels {}
