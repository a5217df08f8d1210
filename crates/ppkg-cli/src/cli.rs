//! Command-line arguments (clap derive). Each subcommand's `after_help` carries an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Build, read, validate and explain Windows provisioning packages (.ppkg) on any OS.
#[derive(Debug, Parser)]
#[command(name = "ppkg", version, about, long_about = None, propagate_version = true)]
#[command(after_help = "Examples:
  ppkg build -o bulk-enrollment.ppkg          build the shipped bulk-enrollment example
  ppkg build profile.toml -o out.ppkg         build a package from a TOML profile
  ppkg inspect out.ppkg                       show metadata, settings and payloads
  ppkg validate customizations.xml --edition desktop")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build a .ppkg from a TOML/JSON profile or a customizations.xml.
    #[command(after_help = "Examples:
  ppkg build -o bulk-enrollment.ppkg                 (the shipped example profile)
  ppkg build profile.toml -o out.ppkg --package-id 5b1f6a52-3b2d-4a8e-9d2c-0f1e2d3c4b5a
  ppkg build customizations.xml -o out.ppkg --asset-dir ./payloads --edition desktop

The output is written to a temporary file beside OUT and renamed when complete; when the input is
invalid the exit code is 1 and the diagnostics are printed; usage and I/O errors exit with 2. In
every failure no output file is left behind.
SOURCE_DATE_EPOCH (seconds) makes the output reproducible.")]
    Build(BuildArgs),
    /// Show a package's metadata, settings (with CSP paths), payloads and warnings.
    #[command(after_help = "Examples:
  ppkg inspect out.ppkg
  ppkg inspect out.ppkg --json | jq .settings
  ppkg inspect any.wim                     (any WIM the reader supports)")]
    Inspect(InspectArgs),
    /// Extract a package's files (like Export-ProvisioningPackage).
    #[command(after_help = "Examples:
  ppkg extract out.ppkg -o extracted/
  ppkg extract out.ppkg -o answer/ --answer-file-only

The answer file is at Multivariant/0/customizations.xml in a full extraction, and at
DIR/customizations.xml with --answer-file-only. Every file's SHA-1 is checked before anything is
written, so a damaged package leaves nothing behind.")]
    Extract(ExtractArgs),
    /// Validate a .ppkg, customizations.xml or profile; exit 0 valid, 1 invalid, 2 usage or I/O.
    #[command(after_help = "Examples:
  ppkg validate customizations.xml --edition desktop
  ppkg validate profile.toml --json
  ppkg validate out.ppkg

Diagnostics are printed as `file:line:col: severity code message`.")]
    Validate(ValidateArgs),
    /// Compile a customizations.xml into the unpacked package tree, for review and diffing.
    #[command(after_help = "Examples:
  ppkg compile customizations.xml -o tree/ --asset-dir ./payloads
  ppkg extract out.ppkg -o extracted/ && diff -r tree/ extracted/

Asset references (certificates, command files) are looked up relative to --asset-dir (default:
the answer file's folder), first by their relative path, then by file name.")]
    Compile(CompileArgs),
    /// Build one package per row of a devices CSV (columns override profile settings).
    #[command(after_help = "Examples:
  ppkg bulk profile.toml --devices devices.csv -o packages/
  ppkg bulk profile.toml --devices devices.csv -o packages.zip

devices.csv has a header row; the column `name` (or `device`) names each package; other columns
override settings: computer_name, wifi_key, enrollment_secret, upn, or any setting path such as
/Accounts/ComputerAccount/ComputerName.")]
    Bulk(BulkArgs),
    /// Print the provisioning engine's retry timeline (retry-sched).
    #[command(after_help = "Examples:
  ppkg schedule                  the default policy when every attempt fails
  ppkg schedule --fail 4         the 5th attempt succeeds
  ppkg schedule --json
  ppkg schedule --code 0x80070525 --trigger login-idle@5h
  ppkg schedule --code 0x80180014 --trigger relaunch@30m --trigger login-idle@2h")]
    Schedule(ScheduleArgs),
    /// Compare two packages: metadata, settings, and which one wins by precedence.
    #[command(after_help = "Examples:
  ppkg diff old.ppkg new.ppkg
  ppkg diff old.ppkg new.ppkg --json

Exit code: 0 when the packages are the same, 1 when they differ (as diff(1)), 2 on errors.")]
    Diff(DiffArgs),
    /// Explain an HRESULT from a provisioning or enrollment log: name, meaning, likely cause,
    /// whether a retry can help, what to check.
    #[command(after_help = "Examples:
  ppkg explain 0x80180014
  ppkg explain -2145910764 --json
  ppkg explain 80070525

Accepts 0x-hex, eight hex digits (as Windows dialogs print it), unsigned decimal (as
Configuration Manager prints it) or negative decimal. An unknown code is decoded by severity,
facility and code and reported as unknown (exit 0); text that is no HRESULT exits with 2.")]
    Explain(ExplainArgs),
    /// Search and show the settings catalog (WCD's settings, all editions).
    #[command(after_help = "Examples:
  ppkg settings search AuthPolicy
  ppkg settings search \"wlan security\" --limit 5 --json
  ppkg settings show /Workplace/Enrollments/UPN/AuthPolicy
  ppkg settings show 'Workplace/Enrollments/UPN[UPN=enroll@contoso.com]/Secret' --json

`show` of a path the catalog does not have exits with 1 and suggests close paths.")]
    Settings(SettingsArgs),
    /// Show CSP nodes from Microsoft's DDF files (format, access, allowed values, children).
    #[command(after_help = "Examples:
  ppkg csp show ./Vendor/MSFT/WiFi/Profile/Lab%20Net/WlanXml --ddf ddf/
  PPKG_DDF_DIR=ddf/ ppkg csp show ./Device/Vendor/MSFT/DMClient --json

The DDF v2 files are not shipped with ppkg: point --ddf (or PPKG_DDF_DIR) at a folder of them.
A URI no loaded file defines exits with 1.")]
    Csp(CspArgs),
    /// Serve the HTTP API and web page that build, validate and inspect packages.
    #[command(after_help = "Examples:
  ppkg serve --config serve.toml

serve.toml names the listen address, the templates folder (profiles and their assets), an
optional bearer-token file, limits and TLS; see crates/ppkg-server/README.md. SIGTERM stops
gracefully, SIGHUP reloads the templates.")]
    Serve(crate::cmd::serve::ServeArgs),
}

/// `ppkg explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The code: 0x80180014, 80180014, 2149056532 or -2145910764.
    #[arg(allow_hyphen_values = true)]
    pub(crate) code: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `ppkg settings`.
#[derive(Debug, Args)]
pub(crate) struct SettingsArgs {
    #[command(subcommand)]
    pub(crate) command: SettingsCommand,
}

/// `ppkg settings` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SettingsCommand {
    /// Find settings by name, path, display name or CSP path (ranked; typos tolerated).
    #[command(after_help = "Example:
  ppkg settings search AuthPolicy")]
    Search(SettingsSearchArgs),
    /// Everything the catalog knows of one setting.
    #[command(after_help = "Example:
  ppkg settings show /Workplace/Enrollments/UPN/AuthPolicy")]
    Show(SettingsShowArgs),
}

/// `ppkg settings search`.
#[derive(Debug, Args)]
pub(crate) struct SettingsSearchArgs {
    /// Words to look for (all must match).
    pub(crate) term: String,
    /// Most results to print.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub(crate) limit: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `ppkg settings show`.
#[derive(Debug, Args)]
pub(crate) struct SettingsShowArgs {
    /// Setting path (`/Workplace/Enrollments/UPN/AuthPolicy`; list keys such as `UPN[x]` are
    /// ignored).
    pub(crate) path: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `ppkg csp`.
#[derive(Debug, Args)]
pub(crate) struct CspArgs {
    #[command(subcommand)]
    pub(crate) command: CspCommand,
}

/// `ppkg csp` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CspCommand {
    /// The DDF node an OMA-URI names.
    #[command(after_help = "Example:
  ppkg csp show ./Vendor/MSFT/WiFi/Profile/Lab%20Net/WlanXml --ddf ddf/")]
    Show(CspShowArgs),
}

/// `ppkg csp show`.
#[derive(Debug, Args)]
pub(crate) struct CspShowArgs {
    /// The OMA-URI (`./Vendor/MSFT/…`, `./Device/…`, `./User/…`).
    pub(crate) uri: String,
    /// Folder of DDF v2 files (default: $PPKG_DDF_DIR).
    #[arg(long, value_name = "DIR")]
    pub(crate) ddf: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `ppkg build`.
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// Profile (.toml, .json) or answer file (.xml); the shipped example when absent.
    pub(crate) input: Option<PathBuf>,
    /// Output package path.
    #[arg(short, long, value_name = "OUT.ppkg")]
    pub(crate) output: PathBuf,
    /// Folder that relative asset paths (certificates, command files) are resolved against;
    /// default: the input's folder. When given, a profile's assets must lie inside it
    /// (absolute paths, `..` and symbolic links leading out are refused).
    #[arg(long, value_name = "DIR")]
    pub(crate) asset_dir: Option<PathBuf>,
    /// Package ID (GUID) to use instead of the input's or a new one.
    #[arg(long, value_name = "GUID")]
    pub(crate) package_id: Option<String>,
    /// Target edition to validate against (common, desktop, mobile, iotuap, team, hololens,
    /// holographic).
    #[arg(long, value_name = "NAME", default_value = "desktop")]
    pub(crate) edition: String,
    /// Store every file uncompressed.
    #[arg(long)]
    pub(crate) no_compress: bool,
    /// Encrypt the package; the password is generated (and printed once) unless given.
    #[arg(long)]
    pub(crate) encrypt: bool,
    /// Encryption password (8–16 ASCII letters and digits); implies --encrypt.
    #[arg(long, value_name = "P")]
    pub(crate) password: Option<String>,
    /// Read the password from the first line of this file (also: $PPKG_PASSWORD, or a prompt
    /// on a terminal).
    #[arg(long, value_name = "PATH", conflicts_with = "password")]
    pub(crate) password_file: Option<PathBuf>,
    /// Sign: write OUT.cat beside the package, signed with this PFX's certificate and key.
    #[arg(long, value_name = "CERT.pfx")]
    pub(crate) sign: Option<PathBuf>,
    /// Password of the signing PFX.
    #[arg(long, value_name = "P", requires = "sign")]
    pub(crate) sign_password: Option<String>,
    /// Read the signing PFX's password from the first line of this file (also:
    /// $PPKG_SIGN_PASSWORD, or a prompt on a terminal).
    #[arg(
        long,
        value_name = "PATH",
        requires = "sign",
        conflicts_with = "sign_password"
    )]
    pub(crate) sign_password_file: Option<PathBuf>,
    /// Check expiry dates (certificates, bulk token) against this date instead of today.
    /// RFC 3339 or YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub(crate) now: Option<String>,
}

/// `ppkg inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Package or WIM file.
    pub(crate) file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Show passwords, keys and tokens instead of masking them.
    #[arg(long)]
    pub(crate) show_secrets: bool,
    /// Password of an encrypted package.
    #[arg(long, value_name = "P")]
    pub(crate) password: Option<String>,
    /// Read the password from the first line of this file (also: $PPKG_PASSWORD, or a prompt
    /// on a terminal).
    #[arg(long, value_name = "PATH", conflicts_with = "password")]
    pub(crate) password_file: Option<PathBuf>,
}

/// `ppkg extract`.
#[derive(Debug, Args)]
pub(crate) struct ExtractArgs {
    /// Package or WIM file.
    pub(crate) file: PathBuf,
    /// Target folder (created when missing).
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    /// Extract only customizations.xml.
    #[arg(long)]
    pub(crate) answer_file_only: bool,
    /// Password of an encrypted package.
    #[arg(long, value_name = "P")]
    pub(crate) password: Option<String>,
    /// Read the password from the first line of this file (also: $PPKG_PASSWORD, or a prompt
    /// on a terminal).
    #[arg(long, value_name = "PATH", conflicts_with = "password")]
    pub(crate) password_file: Option<PathBuf>,
}

/// `ppkg validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// .ppkg, customizations.xml, or profile (.toml/.json).
    pub(crate) file: PathBuf,
    /// Target edition.
    #[arg(long, value_name = "NAME", default_value = "desktop")]
    pub(crate) edition: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Password of an encrypted package.
    #[arg(long, value_name = "P")]
    pub(crate) password: Option<String>,
    /// Read the password from the first line of this file (also: $PPKG_PASSWORD, or a prompt
    /// on a terminal).
    #[arg(long, value_name = "PATH", conflicts_with = "password")]
    pub(crate) password_file: Option<PathBuf>,
    /// Check expiry dates (certificates, bulk token) against this date instead of today: the
    /// day the package will be applied. RFC 3339 or YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub(crate) now: Option<String>,
}

/// `ppkg compile`.
#[derive(Debug, Args)]
pub(crate) struct CompileArgs {
    /// The answer file (customizations.xml) or a profile.
    pub(crate) input: PathBuf,
    /// Output folder for the unpacked package tree.
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    /// Folder that asset paths are resolved against; when given, a profile's assets must lie
    /// inside it.
    #[arg(long, value_name = "DIR")]
    pub(crate) asset_dir: Option<PathBuf>,
    /// Package ID (GUID) to use when the input has none.
    #[arg(long, value_name = "GUID")]
    pub(crate) package_id: Option<String>,
}

/// `ppkg bulk`.
#[derive(Debug, Args)]
pub(crate) struct BulkArgs {
    /// The profile every package starts from.
    pub(crate) profile: PathBuf,
    /// CSV of devices, one package per row.
    #[arg(long, value_name = "devices.csv")]
    pub(crate) devices: PathBuf,
    /// Output folder, or a .zip file.
    #[arg(short, long, value_name = "DIR|FILE.zip")]
    pub(crate) output: PathBuf,
    /// Folder that asset paths are resolved against; when given, a profile's assets must lie
    /// inside it.
    #[arg(long, value_name = "DIR")]
    pub(crate) asset_dir: Option<PathBuf>,
    /// Target edition.
    #[arg(long, value_name = "NAME", default_value = "desktop")]
    pub(crate) edition: String,
    /// Worker threads, 1 to 256 (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Store every file uncompressed.
    #[arg(long)]
    pub(crate) no_compress: bool,
    /// Declares a CSV column that is not a setting as a variable, usable as `{NAME}` in values,
    /// --file-name and --package-name (repeatable). Undeclared columns are an error.
    #[arg(long = "var", value_name = "NAME")]
    pub(crate) var: Vec<String>,
    /// Output file name (without .ppkg) per device, e.g. `{serial}`; default: the `name`
    /// column, else device-00001, device-00002, ….
    #[arg(long, value_name = "TEMPLATE")]
    pub(crate) file_name: Option<String>,
    /// Package name (PackageConfig/Name) per device, e.g. `Enrollment {serial}`; default: the
    /// profile's.
    #[arg(long, value_name = "TEMPLATE")]
    pub(crate) package_name: Option<String>,
}

/// `ppkg schedule`.
#[derive(Debug, Args)]
pub(crate) struct ScheduleArgs {
    /// How many attempts fail before one succeeds (default: all fail).
    #[arg(long, value_name = "N")]
    pub(crate) fail: Option<u32>,
    /// The HRESULT every failing attempt reports (default 0x80180010, MENROLL_E_CONNECTIVITY);
    /// a likely-permanent code ends the schedule early when the policy says so.
    #[arg(long, value_name = "HRESULT", allow_hyphen_values = true)]
    pub(crate) code: Option<String>,
    /// An outside trigger: `relaunch` (the engine is launched again) or `login-idle` (a user
    /// signs in, the system is idle 10 min later), at `@TIME` after the first attempt
    /// (`30m`, `2h`, `1h30m`, `1d`; default 2h). Repeatable.
    #[arg(long, value_name = "KIND[@TIME]")]
    pub(crate) trigger: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `ppkg diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// First package (.ppkg, or any WIM the reader supports).
    pub(crate) a: PathBuf,
    /// Second package.
    pub(crate) b: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Show secrets instead of masking them (changed secrets are reported either way).
    #[arg(long)]
    pub(crate) show_secrets: bool,
    /// Password of encrypted packages (the same for both).
    #[arg(long, value_name = "P")]
    pub(crate) password: Option<String>,
    /// Read the password from the first line of this file (also: $PPKG_PASSWORD, or a prompt
    /// on a terminal).
    #[arg(long, value_name = "PATH", conflicts_with = "password")]
    pub(crate) password_file: Option<PathBuf>,
}
