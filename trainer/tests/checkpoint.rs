//! Checkpoints: bit-exact round trips, every kind of corruption reported with the exact message
//! naming the file, atomic replacement, rotation, and resuming that continues the counters.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use trainer::checkpoint::atomic::write_atomically;
use trainer::checkpoint::format::{self, HEADER_LEN};
use trainer::checkpoint::{
    CheckpointStore, Counters, EpisodeRecord, Metadata, SavedBudget, SavedConfig, ScheduleState,
    load_checkpoint, save_checkpoint, trainer_tensors,
};
use trainer::error::Chain;
use trainer::manager::progress::ProgressMode;
use trainer::manager::{ManagerSettings, Resume, StopReason, TrainSettings, TrainingManager};
use trainer::ppo::{GameEnv, PpoConfig, Trainer};

fn small_config(hidden: Vec<usize>) -> PpoConfig {
    PpoConfig {
        num_envs: 4,
        num_steps: 8,
        hidden,
        threads: 2,
        seed: 7,
        ..PpoConfig::default()
    }
}

/// A trainer after one iteration, so Adam's moments and step count are not trivial.
fn trained(hidden: Vec<usize>) -> Trainer<GameEnv> {
    let mut trainer = Trainer::new(small_config(hidden)).unwrap();
    trainer.collect_rollout();
    trainer.update(2.5e-4);
    trainer
}

fn metadata_of(trainer: &Trainer<GameEnv>) -> Metadata {
    Metadata {
        config: SavedConfig::from(trainer.config()),
        counters: Counters {
            updates: 1,
            env_steps: 32,
            episodes: 2,
            training_seconds: 0.125,
        },
        schedule: ScheduleState {
            budget: SavedBudget::Updates(10),
            initial_learning_rate: 2.5e-4,
            done_updates: 1,
            done_seconds: 0.125,
        },
        adam_steps: trainer.adam().steps(),
        recent_episodes: vec![
            EpisodeRecord {
                score: 1024.0,
                length: 100,
                max_tile: 128,
            },
            EpisodeRecord {
                score: 36.0,
                length: 12,
                max_tile: 16,
            },
        ],
        best_score: Some(1024.0),
        best_tile: Some(128),
        run_id: Some("20261201T201809Z".into()),
    }
}

/// Saves a checkpoint of a trained network into `dir` and returns its path.
fn saved(dir: &Path, name: &str) -> PathBuf {
    let trainer = trained(vec![8, 8]);
    let names = trainer.adam().tensor_names();
    let path = dir.join(name);
    save_checkpoint(
        &path,
        &metadata_of(&trainer),
        &trainer_tensors(&trainer, &names),
    )
    .unwrap();
    path
}

fn error_of(path: &Path) -> String {
    load_checkpoint(path).unwrap_err().to_string()
}

#[test]
fn round_trip_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.ckpt");
    let trainer = trained(vec![8, 8]);
    let names = trainer.adam().tensor_names();
    let tensors = trainer_tensors(&trainer, &names);
    let metadata = metadata_of(&trainer);
    let bytes = save_checkpoint(&path, &metadata, &tensors).unwrap();
    assert_eq!(bytes, std::fs::metadata(&path).unwrap().len());

    let loaded = load_checkpoint(&path).unwrap();
    assert_eq!(loaded.metadata, metadata);
    assert_eq!(loaded.tensors.len(), tensors.len());
    for (saved, read) in tensors.iter().zip(&loaded.tensors) {
        assert_eq!(read.name, saved.name);
        assert_eq!(read.shape, saved.shape);
        let bits = |d: &[f32]| d.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&read.data), bits(saved.data), "{}", saved.name);
    }
    assert_eq!(loaded.config(&path).unwrap(), *trainer.config());

    // Restoring into a differently seeded trainer reproduces the network and Adam exactly.
    let mut other = Trainer::new(PpoConfig {
        seed: 99,
        ..small_config(vec![8, 8])
    })
    .unwrap();
    assert_ne!(other.model().params(), trainer.model().params());
    loaded.restore_into(&mut other, &path).unwrap();
    let bits = |d: &[f32]| d.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(other.model().params()), bits(trainer.model().params()));
    assert_eq!(
        bits(other.adam().first_moment()),
        bits(trainer.adam().first_moment())
    );
    assert_eq!(
        bits(other.adam().second_moment()),
        bits(trainer.adam().second_moment())
    );
    assert_eq!(other.adam().steps(), trainer.adam().steps());
    assert_eq!(other.adam().steps(), 16);
}

#[test]
fn flipped_payload_byte_is_a_checksum_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path(), "flip.ckpt");
    let mut bytes = std::fs::read(&path).unwrap();
    let stored = u32::from_le_bytes(bytes[20..24].try_into().unwrap());
    let at = bytes.len() - 100;
    bytes[at] ^= 0x40;
    let computed = crc32fast::hash(&bytes[HEADER_LEN..]);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        error_of(&path),
        format!(
            "checkpoint {}: checksum mismatch (stored {stored:08x}, computed {computed:08x}): \
             the file is corrupt",
            path.display()
        )
    );
}

#[test]
fn truncated_files_say_how_much_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path(), "cut.ckpt");
    let bytes = std::fs::read(&path).unwrap();
    let full = bytes.len();
    std::fs::write(&path, &bytes[..full - 10]).unwrap();
    assert_eq!(
        error_of(&path),
        format!(
            "checkpoint {}: truncated: {} bytes, but the checkpoint needs {full}",
            path.display(),
            full - 10
        )
    );
    std::fs::write(&path, &bytes[..10]).unwrap();
    assert_eq!(
        error_of(&path),
        format!(
            "checkpoint {}: truncated: 10 bytes, but the checkpoint needs 24",
            path.display()
        )
    );
    std::fs::write(&path, b"").unwrap();
    assert_eq!(
        error_of(&path),
        format!(
            "checkpoint {}: truncated: 0 bytes, but the checkpoint needs 24",
            path.display()
        )
    );
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"!!");
    std::fs::write(&path, &longer).unwrap();
    assert_eq!(
        error_of(&path),
        format!(
            "checkpoint {}: corrupt: {} bytes, but the header announces {full}",
            path.display(),
            full + 2
        )
    );
}

#[test]
fn wrong_magic_is_not_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path(), "magic.ckpt");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..4].copy_from_slice(b"PK\x03\x04");
    std::fs::write(&path, &bytes).unwrap();
    let expected = format!(
        "checkpoint {}: not a trainer checkpoint (it does not start with the magic bytes \
         \"T2048CKP\")",
        path.display()
    );
    assert_eq!(error_of(&path), expected);
    std::fs::write(&path, b"{\"json\": true}").unwrap();
    assert_eq!(error_of(&path), expected);
}

#[test]
fn versions_from_the_future_and_version_zero_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path(), "version.ckpt");
    let mut bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[8..12], &format::FORMAT_VERSION.to_le_bytes());
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        error_of(&path),
        format!(
            "checkpoint {}: format version 2 is newer than this trainer reads (version 1); use \
             a newer trainer",
            path.display()
        )
    );
    bytes[8..12].copy_from_slice(&0u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        error_of(&path),
        format!("checkpoint {}: unknown format version 0", path.display())
    );
}

#[test]
fn a_payload_that_passes_its_checksum_but_does_not_parse_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.ckpt");
    let payload = [200u8, 0, 0, 0, b'{', b'}'];
    let mut bytes = format::MAGIC.to_vec();
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(
        error_of(&path),
        format!(
            "checkpoint {}: malformed payload at byte 28: the metadata needs 200 bytes, only 2 \
             are left",
            path.display()
        )
    );
}

#[test]
fn a_different_network_is_a_mismatch_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path(), "net.ckpt");
    let checkpoint = load_checkpoint(&path).unwrap();
    assert_eq!(
        checkpoint
            .check_hidden(&path, &[16, 16])
            .unwrap_err()
            .to_string(),
        format!(
            "checkpoint {}: holds a network with hidden sizes 8,8, but hidden sizes 16,16 were \
             requested",
            path.display()
        )
    );
    assert!(checkpoint.check_hidden(&path, &[8, 8]).is_ok());

    let mut wider = Trainer::new(small_config(vec![16, 16])).unwrap();
    let before = wider.model().params().to_vec();
    let error = checkpoint.restore_into(&mut wider, &path).unwrap_err();
    // The tensor error is the cause: the message names the file, the chain adds why.
    assert_eq!(
        error.to_string(),
        format!("checkpoint {}: does not fit its network", path.display())
    );
    assert_eq!(
        Chain(&error).to_string(),
        format!(
            "checkpoint {}: does not fit its network: tensor `adam.m.hidden0.weight` has shape \
             [256, 8], expected [256, 16]",
            path.display()
        )
    );
    assert_eq!(wider.model().params(), before.as_slice());
    assert_eq!(wider.adam().steps(), 0);
}

#[test]
fn a_failed_write_leaves_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = saved(dir.path(), "keep.ckpt");
    let good = std::fs::read(&path).unwrap();

    let error = write_atomically(&path, |file| {
        file.write_all(b"T2048CKP half a checkpoint")?;
        Err(std::io::Error::other("disk full"))
    })
    .unwrap_err();
    assert_eq!(error.to_string(), "disk full");
    assert_eq!(std::fs::read(&path).unwrap(), good);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["keep.ckpt"], "no temporary file is left behind");
    assert!(load_checkpoint(&path).is_ok());

    // A save that cannot even create its file reports the path and creates nothing.
    let missing = dir.path().join("no-such-dir").join("x.ckpt");
    let trainer = trained(vec![8, 8]);
    let names = trainer.adam().tensor_names();
    let error = save_checkpoint(
        &missing,
        &metadata_of(&trainer),
        &trainer_tensors(&trainer, &names),
    )
    .unwrap_err();
    // The I/O error is the cause, and names the temporary file that could not be created:
    // `.x.ckpt.<6 random characters>.tmp` beside the target.
    assert_eq!(
        error.to_string(),
        format!("checkpoint {}: cannot write", missing.display())
    );
    let message = Chain(&error).to_string();
    let (head, temporary) = message.split_once(" at path ").unwrap();
    assert_eq!(
        head,
        format!(
            "checkpoint {}: cannot write: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let temporary = PathBuf::from(temporary.trim_matches('"'));
    assert_eq!(temporary.parent(), missing.parent());
    let name = temporary.file_name().unwrap().to_str().unwrap();
    assert!(
        name.len() == ".x.ckpt.".len() + 6 + ".tmp".len()
            && name.starts_with(".x.ckpt.")
            && name.ends_with(".tmp"),
        "{name}"
    );
    assert!(!missing.exists());
}

#[test]
fn the_store_keeps_the_last_k_periodic_checkpoints_and_latest() {
    let dir = tempfile::tempdir().unwrap();
    let store = CheckpointStore::open(&dir.path().join("ckpt"), 2).unwrap();
    let trainer = trained(vec![8, 8]);
    let names = trainer.adam().tensor_names();
    let tensors = trainer_tensors(&trainer, &names);
    let mut metadata = metadata_of(&trainer);
    for updates in [5, 10, 15, 20] {
        metadata.counters.updates = updates;
        let path = store.save_periodic(&metadata, &tensors).unwrap();
        assert_eq!(path, store.periodic_path(updates));
    }
    let kept: Vec<u64> = store
        .periodic()
        .unwrap()
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert_eq!(kept, [15, 20]);
    assert_eq!(
        store.periodic_path(20).file_name().unwrap(),
        "checkpoint-00000020.ckpt"
    );
    let latest = load_checkpoint(&store.latest_path()).unwrap();
    assert_eq!(latest.metadata.counters.updates, 20);

    metadata.counters.updates = 21;
    let final_path = store.save_final(&metadata, &tensors).unwrap();
    assert_eq!(final_path, dir.path().join("ckpt").join("final.ckpt"));
    assert_eq!(
        load_checkpoint(&store.latest_path())
            .unwrap()
            .metadata
            .counters
            .updates,
        21
    );
    assert_eq!(store.periodic().unwrap().len(), 2);

    // `latest.ckpt` is a second name of the newest file, not a copy; no temporary file is left;
    // checkpoints get the permissions of any file the user creates there (not 0600).
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let inode = |path: &Path| std::fs::metadata(path).unwrap().ino();
    assert_eq!(inode(&store.latest_path()), inode(&final_path));
    let mut names: Vec<String> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "checkpoint-00000015.ckpt",
            "checkpoint-00000020.ckpt",
            "final.ckpt",
            "latest.ckpt"
        ]
    );
    let plain = store.dir().join("plain");
    std::fs::File::create(&plain).unwrap();
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&final_path), mode(&plain));
    assert_eq!(mode(&store.periodic_path(20)), mode(&plain));
}

fn run_manager(settings: &TrainSettings) -> trainer::manager::TrainingOutcome {
    let resume = settings.resume.as_ref().map(|path| Resume {
        path: path.clone(),
        checkpoint: load_checkpoint(path).unwrap(),
    });
    let mut resolved = ManagerSettings::resolve(settings, resume.as_ref()).unwrap();
    resolved.progress = ProgressMode::Lines {
        every: std::time::Duration::from_secs(3600),
    };
    let mut manager = TrainingManager::new(resolved, resume.as_ref()).unwrap();
    manager.run(&AtomicBool::new(false), &mut ()).unwrap()
}

#[test]
fn resuming_continues_counters_schedule_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let logs = root.join("logs");
    let ckpt = root.join("ckpt");
    let common = TrainSettings {
        envs: Some(4),
        steps: Some(8),
        hidden: Some(vec![8, 8]),
        threads: Some(2),
        log_dir: logs.clone(),
        checkpoint_dir: ckpt.clone(),
        ..TrainSettings::default()
    };
    let first = TrainSettings {
        updates: Some(4),
        ..common.clone()
    };
    let outcome = run_manager(&first);
    assert_eq!(outcome.reason, StopReason::BudgetSpent);
    assert_eq!(outcome.counters.updates, 4);
    assert_eq!(outcome.counters.env_steps, 4 * 32);
    let final_path = ckpt.join("final.ckpt");
    let saved = load_checkpoint(&final_path).unwrap();
    assert_eq!(saved.metadata.counters, outcome.counters);
    assert_eq!(saved.metadata.adam_steps, 4 * 16);
    assert_eq!(saved.metadata.schedule.done_updates, 4);

    // A schedule cut short (as by Ctrl-C after 2 of 4 updates) continues where it stopped when
    // no budget is given, at the learning rate it had reached.
    let mut cut = saved.clone();
    cut.metadata.schedule.done_updates = 2;
    let cut_path = root.join("cut.ckpt");
    let names: Vec<_> = cut.tensors.iter().map(|t| t.view()).collect();
    save_checkpoint(&cut_path, &cut.metadata, &names).unwrap();
    let continued = TrainSettings {
        resume: Some(cut_path.clone()),
        ..common.clone()
    };
    let settings = ManagerSettings::resolve(
        &continued,
        Some(&Resume {
            path: cut_path.clone(),
            checkpoint: cut.clone(),
        }),
    )
    .unwrap();
    assert_eq!(settings.schedule.progress(), 0.5);
    assert_eq!(
        settings.schedule.learning_rate(),
        0.5 * saved.metadata.schedule.initial_learning_rate
    );
    assert_eq!(
        saved.metadata.schedule.initial_learning_rate,
        PpoConfig::default().learning_rate
    );

    let second = TrainSettings {
        updates: Some(3),
        resume: Some(final_path.clone()),
        ..common.clone()
    };
    let resumed = run_manager(&second);
    assert_eq!(resumed.counters.updates, 7);
    assert_eq!(resumed.counters.env_steps, 7 * 32);
    assert_eq!(resumed.run.updates, 3);
    assert_eq!(resumed.run.env_steps, 3 * 32);
    assert!(resumed.counters.training_seconds > outcome.counters.training_seconds);
    assert_eq!(
        resumed.counters.episodes,
        outcome.counters.episodes + resumed.run.episodes
    );
    let after = load_checkpoint(&final_path).unwrap();
    assert_eq!(after.metadata.counters.updates, 7);
    assert_eq!(after.metadata.adam_steps, 7 * 16);

    let lines = std::fs::read_to_string(logs.join("metrics.jsonl")).unwrap();
    let iterations: Vec<u64> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["iteration"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(iterations, [1, 2, 3, 4, 5, 6, 7]);
}
