/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fusekey: command-line front end. This file holds main, the command
 * dispatch and every help text; the commands live in cli_sim.c, cli_seal.c
 * and cli_inspect.c, the shared machinery in cli_common.c. docs/cli.md is the
 * reference and must agree with the texts below.
 */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"

/* tools/cli_policy.c */

#define PLATFORM_OPTS_HELP                                                          \
	"Platform options (the command runs as an enclave; 'fusekey platform'\n"    \
	"says which platform is selected and why):\n"                               \
	"  --platform P      auto (default), gramine, occlum or sim (env\n"         \
	"                    FUSEKEY_PLATFORM). auto: Gramine if its\n"             \
	"                    /dev/attestation files answer, else Occlum if\n"       \
	"                    /dev/sgx answers, else exit 3. It never picks sim,\n"  \
	"                    the EMULATED platform: only --platform sim does\n"     \
	"  --gramine-dir DIR Gramine's /dev/attestation (env FUSEKEY_GRAMINE_DIR)\n" \
	"  --occlum-device F Occlum's /dev/sgx (env FUSEKEY_OCCLUM_DEVICE)\n"       \
	"On Gramine and Occlum the enclave is the one fusekey runs in. With\n"      \
	"--platform sim it is emulated, and these say which:\n"                     \
	"  --sim-dir DIR     emulated platform state directory (env\n"              \
	"                    FUSEKEY_SIM_DIR; default $XDG_STATE_HOME/fusekey/sim\n" \
	"                    or ~/.local/state/fusekey/sim)\n"                      \
	"  --enclave FILE    SIGSTRUCT (1808 bytes) of the enclave to run as (env\n" \
	"                    FUSEKEY_ENCLAVE), launched by an emulated EINIT;\n"    \
	"                    required with --platform sim but by sim show\n"       \
	"  --config-id HEX   CONFIGID at launch, 128 hex digits (env\n"            \
	"                    FUSEKEY_CONFIG_ID); KSS enclaves only\n"               \
	"  --config-svn N    CONFIGSVN at launch, 0..65535 (env FUSEKEY_CONFIG_SVN);\n" \
	"                    KSS enclaves only\n"

static const char help_overview[] =
	"usage: fusekey [--help | --version]\n"
	"       fusekey <command> [options]\n"
	"       fusekey help [command]\n"
	"\n"
	"Hand the encrypted-filesystem key between SGX enclaves. Commands that run\n"
	"as an enclave use the SGX platform they run on: --platform auto (the\n"
	"default) finds Gramine (/dev/attestation) or Occlum (/dev/sgx); outside\n"
	"them, --platform sim selects the EMULATED platform, which protects\n"
	"nothing (development and testing) and is never chosen by itself.\n"
	"\n"
	"Commands:\n"
	"  platform      which SGX platform is selected, and why\n"
	"  sim init      create an emulated platform (state directory, root keys)\n"
	"  sim cpusvn    change the emulated CPUSVN (TCB upgrade or downgrade)\n"
	"  sim keygen    create an enclave signing key (RSA-3072, e=3)\n"
	"  sim sign      make and sign a SIGSTRUCT (an enclave identity)\n"
	"  sim show      show the emulated platform and an enclave identity\n"
	"  seal          seal data as an enclave (sgx_seal_data compatible)\n"
	"  unseal        unseal a blob as an enclave\n"
	"  generate      agent side: make the FUSE key of a container and leave what\n"
	"                the app needs in the bundle (method seal or derive)\n"
	"  get           app side: obtain the FUSE key of a container from the\n"
	"                bundle, in the form the libOS needs (raw, hex, Occlum,\n"
	"                Gramine)\n"
	"  inspect       describe a sealed blob, report, target info, key request,\n"
	"                SIGSTRUCT, sealed FUSE key, derive descriptor or local-\n"
	"                attestation message (sgx_dh msg1, msg2, msg3)\n"
	"  policy check  check a release policy file (fusekeyd): what it allows, or\n"
	"                the first error with its line and reason\n"
	"  launch-digest the launch-spec digest of an OCI bundle (process args, env,\n"
	"                cwd), for a release policy's launch_digest\n"
	"  help          help for a command: 'fusekey help seal', 'fusekey help sim\n"
	"                init'. Every command also takes --help.\n"
	"\n"
	"Exit codes:\n"
	"   0  success\n"
	"   1  internal or unexpected error\n"
	"   2  usage error (bad option or argument)\n"
	"   3  no SGX platform: none detected, or the one named is not there\n"
	"      (outside Gramine and Occlum, pass --platform sim)\n"
	"   4  authentication failure: wrong enclave, signer or policy, or tampered\n"
	"      data\n"
	"   5  TCB too low to unseal: sealed at a newer CPUSVN or ISVSVN/CONFIGSVN\n"
	"   6  invalid input format (file, SIGSTRUCT or its signature)\n"
	"   7  not found (file, or the emulated platform is not initialised)\n"
	"   8  exists: refusing to overwrite (use --force where offered)\n"
	"   9  permission: unsafe modes on the state directory, or access denied\n"
	"  10  refused parameter or policy (e.g. KSS policy, non-KSS enclave)\n"
	"  11  I/O error\n"
	"  12  get: the key was made for another enclave identity (signer,\n"
	"      MRENCLAVE, product id, DEBUG state)\n"
	"  13  get: the key file belongs to another container (moved or copied)\n"
	"  14  get: the key file is truncated\n"
	"  15  get: the key was made under another policy than --policy requires\n"
	"  16  get --method la: the key service cannot be reached, or timed out\n"
	"  17  get --method la: the key service's release policy refused\n"
	"\n"
	"Environment: FUSEKEY_PLATFORM, FUSEKEY_SIM_DIR, FUSEKEY_ENCLAVE,\n"
	"FUSEKEY_CONFIG_ID, FUSEKEY_CONFIG_SVN, FUSEKEY_GRAMINE_DIR,\n"
	"FUSEKEY_OCCLUM_DEVICE (options win). See docs/cli.md.\n";

static const char help_platform[] =
	"usage: fusekey platform [--platform P] [--gramine-dir DIR]\n"
	"                        [--occlum-device FILE] [--json]\n"
	"\n"
	"Say which SGX platform the enclave commands would use, and why: one line\n"
	"per candidate tried. Nothing is opened or changed.\n"
	"  --platform P      auto (default; env FUSEKEY_PLATFORM): Gramine if\n"
	"                    DIR/my_target_info gives 512 bytes, else Occlum if\n"
	"                    FILE answers the SELF_TARGET ioctl; never sim.\n"
	"                    gramine or occlum: check only that one. sim: the\n"
	"                    EMULATED platform, only ever by this explicit name\n"
	"  --gramine-dir DIR Gramine's pseudo-files (env FUSEKEY_GRAMINE_DIR;\n"
	"                    default /dev/attestation)\n"
	"  --occlum-device FILE\n"
	"                    Occlum's SGX device (env FUSEKEY_OCCLUM_DEVICE;\n"
	"                    default /dev/sgx)\n"
	"  --json            machine-readable: platform (null if none), requested,\n"
	"                    requested_by, chosen, emulated, why[], exit_code\n"
	"Exit 0 when a platform is there, 3 when none is (the reasons go to\n"
	"stderr; with --json, also to standard output), 2 for an unknown name.\n";

static const char help_sim[] =
	"usage: fusekey sim <init|cpusvn|keygen|sign|show> [options]\n"
	"\n"
	"Manage the EMULATED SGX platform and make enclave identities:\n"
	"  sim init [--mode secure|sdk-compat] [--cpusvn NAME] [--force]\n"
	"  sim cpusvn DEFAULT|UPGRADED|DOWNGRADED\n"
	"  sim keygen --out signer.pem\n"
	"  sim sign --key signer.pem (--mrenclave HEX | --measure FILE...)\n"
	"           --out enclave.sig [...]\n"
	"  sim show [--platform sim] [--enclave FILE] [--json]\n"
	"All take --sim-dir DIR but keygen and sign. 'fusekey help sim <command>'\n"
	"gives the details.\n";

static const char help_sim_init[] =
	"usage: fusekey sim init [--mode secure|sdk-compat]\n"
	"                        [--cpusvn DEFAULT|UPGRADED|DOWNGRADED]\n"
	"                        [--force] [--sim-dir DIR]\n"
	"\n"
	"Create an EMULATED SGX platform: a state directory (mode 0700) holding\n"
	"platform.conf (0600) and, in secure mode, roots.bin (0600, root keys).\n"
	"  --mode secure      random per-platform roots (default); blobs sealed\n"
	"                     under the SDK's public constants never unseal here\n"
	"  --mode sdk-compat  the Intel SGX SDK simulation-mode constants: keys\n"
	"                     and blobs equal the SDK's. Public: no secrecy at all\n"
	"  --cpusvn NAME      initial platform CPUSVN (default DEFAULT)\n"
	"  --force            replace an initialised platform: every blob sealed\n"
	"                     before is lost\n"
	"  --sim-dir DIR      state directory (env FUSEKEY_SIM_DIR; default\n"
	"                     $XDG_STATE_HOME/fusekey/sim or\n"
	"                     ~/.local/state/fusekey/sim)\n"
	"Exit 8 if the platform is already initialised and --force is not given.\n";

static const char help_sim_cpusvn[] =
	"usage: fusekey sim cpusvn DEFAULT|UPGRADED|DOWNGRADED [--sim-dir DIR]\n"
	"\n"
	"Set the emulated platform's CPUSVN (a TCB upgrade or downgrade); the roots\n"
	"stay. Order: DOWNGRADED < DEFAULT < UPGRADED. Blobs sealed at a higher\n"
	"CPUSVN than the current one do not unseal (exit 5); older ones do.\n";

static const char help_sim_keygen[] =
	"usage: fusekey sim keygen --out FILE\n"
	"\n"
	"Create an enclave signing key: RSA-3072 with public exponent 3, as SGX\n"
	"requires, written as unencrypted PKCS#8 PEM with mode 0600. Never\n"
	"overwrites a file (exit 8). Enclaves signed with it have MRSIGNER =\n"
	"SHA-256 of its modulus.\n";

static const char help_sim_sign[] =
	"usage: fusekey sim sign --key FILE (--mrenclave HEX | --measure FILE...)\n"
	"                        --out FILE [--prodid N] [--svn N] [--debug] [--kss]\n"
	"                        [--family-id HEX] [--ext-prodid HEX]\n"
	"                        [--misc-select N] [--date YYYYMMDD] [--force]\n"
	"\n"
	"Make and sign a SIGSTRUCT (1808 bytes, mode 0644): the identity an emulated\n"
	"enclave runs with (MRENCLAVE := ENCLAVEHASH, MRSIGNER := SHA-256(modulus)).\n"
	"  --key FILE        signing key from 'fusekey sim keygen'\n"
	"  --mrenclave HEX   the enclave measurement, 64 hex digits\n"
	"  --measure FILE    stand-in measurement: SHA-256 over the contents of the\n"
	"                    files, concatenated in order; repeat --measure for\n"
	"                    several files (at most 16, each at most 16 MiB)\n"
	"  --prodid N        ISVPRODID, 0..65535 (default 0)\n"
	"  --svn N           ISVSVN, 0..65535 (default 0)\n"
	"  --debug           a DEBUG enclave (its keys always differ from those of\n"
	"                    a non-DEBUG enclave)\n"
	"  --kss             Key Separation and Sharing: allows the configid,\n"
	"                    familyid and extprodid policies and --config-id /\n"
	"                    --config-svn at launch\n"
	"  --family-id HEX   ISVFAMILYID, 32 hex digits\n"
	"  --ext-prodid HEX  ISVEXTPRODID, 32 hex digits\n"
	"  --misc-select N   MISCSELECT, 0..4294967295 (default 0)\n"
	"  --date YYYYMMDD   signing date (default today, UTC)\n"
	"  --out FILE        where to write the SIGSTRUCT\n"
	"  --force           replace an existing --out file\n"
	"Integers are decimal or 0x-prefixed hex.\n";

static const char help_sim_show[] =
	"usage: fusekey sim show [--platform P] [--sim-dir DIR] [--enclave FILE]\n"
	"                        [--config-id HEX] [--config-svn N] [--json]\n"
	"\n"
	"Say which platform is selected and why (as 'fusekey platform'). With\n"
	"--platform sim, show the emulated platform (state directory, mode,\n"
	"CPUSVN) and, with --enclave, the identity the enclave runs with after the\n"
	"emulated EINIT: MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN, attributes,\n"
	"MISCSELECT, family and extended product ids, CONFIGID, CONFIGSVN. Never\n"
	"shows a root key. On Gramine or Occlum it says so (the emulated platform\n"
	"is not in use).\n"
	"  --json            machine-readable output\n";

static const char help_platform_opts[] = "\n" PLATFORM_OPTS_HELP;

static const char help_seal[] =
	"usage: fusekey seal [--platform P] [--enclave FILE] --in FILE|- --out BLOB\n"
	"                    [--aad-file FILE | --aad-hex HEX] [--policy P]\n"
	"                    [--attr-mask HEX] [--xfrm-mask HEX] [--misc-mask HEX]\n"
	"                    [--force]\n"
	"\n"
	"Seal data as the enclave into a blob (sgx_sealed_data_t: 560 + data + AAD\n"
	"bytes) that only an enclave the policy accepts, on this platform, unseals.\n"
	"  --in FILE|-       data to seal, 1 byte to 1 MiB ('-' = standard input)\n"
	"  --out BLOB        the sealed blob, written atomically with mode 0600\n"
	"  --aad-file FILE   additional authenticated data (stored in clear), at\n"
	"                    most 1 MiB\n"
	"  --aad-hex HEX     the same, given as hex\n"
	"  --policy P        comma list: mrsigner (default) and/or mrenclave, plus\n"
	"                    noisvprodid, configid, familyid, extprodid, or kss\n"
	"                    (= configid,familyid,extprodid); all but mrsigner and\n"
	"                    mrenclave need a KSS enclave\n"
	"  --attr-mask HEX   attribute flags bound into the key (default\n"
	"                    0xff0000000000000b); must keep INITTED and DEBUG (0x3)\n"
	"  --xfrm-mask HEX   XFRM bits bound into the key (default 0)\n"
	"  --misc-mask HEX   MISCSELECT bits bound into the key (default 0xf0000000)\n"
	"  --force           replace an existing --out file\n";

static const char help_unseal[] =
	"usage: fusekey unseal [--platform P] [--enclave FILE] --in BLOB\n"
	"                      (--out FILE | --stdout) [--aad-out FILE] [--force]\n"
	"\n"
	"Unseal a blob as the enclave. The plaintext goes where you say, nowhere\n"
	"else:\n"
	"  --out FILE        write it to FILE (atomically, mode 0600)\n"
	"  --stdout          write it, exactly, to standard output\n"
	"  --aad-out FILE    also write the blob's AAD to FILE (mode 0600)\n"
	"  --force           replace existing --out / --aad-out files\n"
	"Exit 4 if this enclave may not unseal the blob or the blob was modified;\n"
	"exit 5 if it was sealed at a newer CPUSVN or by a newer ISVSVN.\n";

#define KEY_OUTPUT_HELP                                                              \
	"Key forms (--format; default raw):\n"                                       \
	"  raw               the key bytes\n"                                         \
	"  hex               lowercase hex and a newline\n"                           \
	"  occlum            Occlum's key string xx-xx-...-xx (16 bytes) and a\n"    \
	"                    newline\n"                                               \
	"  occlum-mount      a mount option string and a newline, for\n"             \
	"                    --mount-type sefs --dir D:  dir=D,key=xx-...\n"         \
	"                    --mount-type unionfs --lowerdir L --upperdir U:\n"      \
	"                    lowerdir=L,upperdir=U,key=xx-...\n"                      \
	"  gramine           install the key into Gramine's key store: 16 bytes\n"   \
	"                    to DIR/keys/NAME, which must exist (the manifest\n"     \
	"                    declares key_name = \"NAME\" on an encrypted mount);\n" \
	"                    --key-name NAME (required), DIR = --gramine-dir\n"      \
	"                    (default /dev/attestation). Inside Gramine through\n"  \
	"                    the platform itself; elsewhere a plain file write\n"   \
	"occlum, occlum-mount and gramine take a 16-byte key only.\n"                 \
	"Where the key goes (one of; not for gramine):\n"                             \
	"  --out FILE        written atomically, mode 0600; an existing file is\n"   \
	"                    refused (exit 8) unless --force\n"                      \
	"  --stdout          standard output (the key is never printed otherwise)\n" \
	"  --fd N            an open file descriptor, e.g. a pipe\n"

static const char help_generate[] =
	"usage: fusekey generate [--platform P] [--enclave FILE] --container ID\n"
	"                        --bundle DIR [--method seal|derive|la] [--policy P]\n"
	"                        [--key-len 16|32] [--force]\n"
	"                        [--format F] [--out FILE | --stdout | --fd N]\n"
	"\n"
	"As the agent enclave, make the FUSE key of container ID and leave in the\n"
	"bundle what the app enclave needs (mode 0600, directories 0700):\n"
	"  seal    DIR/fusekey/ID/key.sealed: a random key sealed to the policy,\n"
	"          bound to the container id\n"
	"  derive  DIR/fusekey/ID/derive.json: the public key request from which\n"
	"          both enclaves derive the same key with EGETKEY (nothing secret)\n"
	"  la      DIR/fusekey/ID/key.la: the key sealed to this agent enclave, for\n"
	"          fusekeyd to hand out after local attestation; and key.sealed\n"
	"          under --policy, the app's fallback when fusekeyd is not there\n"
	"The key itself is delivered only when asked (--out, --stdout, --fd,\n"
	"--format gramine): the agent needs it to create the encrypted filesystem.\n"
	"  --container ID    1 to 128 of A-Z a-z 0-9 _ . -, not starting with '.'\n"
	"                    or '-' (exit 2 otherwise)\n"
	"  --bundle DIR      the container's bundle directory (must exist)\n"
	"  --method M        seal (default), derive or la\n"
	"  --policy P        mrsigner (default) and/or mrenclave, plus noisvprodid,\n"
	"                    configid, familyid, extprodid, kss (KSS enclaves only)\n"
	"  --key-len N       16 (default) or 32 bytes\n"
	"  --force           replace the container's existing key (the old one is\n"
	"                    lost: data encrypted with it cannot be read again),\n"
	"                    and an existing --out file\n"
	"Exit 8 if the container already has a key and --force is not given.\n"
	"\n" KEY_OUTPUT_HELP;

static const char help_get[] =
	"usage: fusekey get [--platform P] [--enclave FILE] --container ID --bundle DIR\n"
	"                   [--method auto|seal|derive|la] [--policy P] [--format F]\n"
	"                   (--out FILE | --stdout | --fd N) [--force]\n"
	"                   [--socket PATH --agent-mrenclave HEX|--agent-mrsigner HEX\n"
	"                    [--agent-isvprodid N] [--agent-min-svn N]\n"
	"                    [--agent-allow-debug] [--launch-digest HEX]\n"
	"                    [--no-fallback] [--timeout-ms N]]\n"
	"                   [--mount-type sefs --dir D |\n"
	"                    --mount-type unionfs --lowerdir L --upperdir U]\n"
	"       fusekey get ... --format gramine --key-name NAME [--gramine-dir DIR]\n"
	"       fusekey get ... --exec PROG [ARG...]\n"
	"\n"
	"As the app enclave, obtain the FUSE key of container ID from the bundle\n"
	"the agent wrote, and deliver it in the form the libOS needs.\n"
	"  --container ID    the container whose key this is\n"
	"  --bundle DIR      the container's bundle directory\n"
	"  --method M        auto (default: whatever the agent left), seal, derive,\n"
	"                    or la (only from the key service, never the bundle)\n"
	"  --policy P        the policy the key must have been made under (default:\n"
	"                    accept the recorded one); e.g. mrenclave refuses an\n"
	"                    MRSIGNER key (exit 15)\n"
	"  --force           replace an existing --out file\n"
	"Refusals: 4 modified or made on another platform, 5 made by a newer\n"
	"enclave version or TCB, 6 malformed or a symlink, 7 no key for the\n"
	"container, 12 made for another enclave identity (signer, MRENCLAVE,\n"
	"product, DEBUG), 13 another container's key, 14 truncated, 15 another\n"
	"policy than --policy. la: 16 the key service cannot be reached (or timed\n"
	"out), 17 its release policy refused this enclave, 12 it is not the agent\n"
	"named by --agent-*, 4 local attestation failed.\n"
	"\n" KEY_OUTPUT_HELP;

/* get's la options: a second string (ISO C bounds one literal to 4095 bytes). */
static const char help_get_la[] =
	"\nla (local attestation with fusekeyd, docs/service.md):\n"
	"  --socket PATH     la: fusekeyd's socket (or tcp:127.0.0.1:PORT, loopback\n"
	"                    TCP, from inside a libOS whose Unix sockets stay in it).\n"
	"                    Local attestation with the agent,\n"
	"                    then the key if its release policy allows this enclave.\n"
	"                    With auto, the sealed key in the bundle is used only if\n"
	"                    the socket cannot be reached (said on stderr), never\n"
	"                    after a refusal; --no-fallback: not even then\n"
	"  --agent-mrenclave HEX, --agent-mrsigner HEX\n"
	"                    la: the agent enclave this app accepts (one or both);\n"
	"                    --agent-isvprodid N, --agent-min-svn N narrow it, and\n"
	"                    a DEBUG agent is refused unless --agent-allow-debug\n"
	"  --launch-digest HEX\n"
	"                    la: this app's launch-spec digest (64 hex digits; see\n"
	"                    'fusekey launch-digest'); default: computed from the\n"
	"                    bundle's config.json when there is one\n"
	"  --timeout-ms N    la: per call (default 5000)\n"
	"\nThen run the app in this same process (a libOS entrypoint):\n"
	"  --exec PROG [ARG...]\n"
	"                    last option: once the key is delivered, replace this\n"
	"                    process with PROG (looked up in PATH) and its\n"
	"                    arguments, e.g. inside Gramine, whose encrypted-FS keys\n"
	"                    belong to the process that installed them:\n"
	"                    fusekey get ... --format gramine --key-name fuse\n"
	"                        --exec /app/server --port 80\n"
	"                    The key is wiped first; nothing of it is passed on.\n"
	"                    Not run on any failure (the exit code is fusekey's);\n"
	"                    PROG not found: exit 127, not runnable: 126\n";


static const char help_inspect[] =
	"usage: fusekey inspect FILE [--json] [--platform sim]\n"
	"       [--type auto|sealed|report|targetinfo|sigstruct|keyrequest|\n"
	"               sealed-key|derive|dh-msg1|dh-msg2|dh-msg3]\n"
	"\n"
	"Describe an SGX artifact without any key: a sealed blob (key request,\n"
	"lengths, reserved bytes, tag), a report (432 bytes), a target info or key\n"
	"request (512 bytes), a SIGSTRUCT (1808 bytes: its signature is checked\n"
	"and MRSIGNER computed), a sealed FUSE key (key.sealed: container id,\n"
	"method, policy, key length, the sealer's identity), a derive\n"
	"descriptor (derive.json: its fields, and what is wrong with it), or an\n"
	"sgx_dh local-attestation message: dh-msg1 (576 bytes: g_a, is it a P-256\n"
	"point, the responder's target info), dh-msg2 (512 bytes: g_b, the\n"
	"initiator's report, CMAC, LAv1 or LAv2 with its protocol spec), dh-msg3\n"
	"(452 + additional_prop_length bytes, exactly: CMAC, the responder's\n"
	"report, additional_prop). Nothing in these messages is secret, and their\n"
	"MACs are not verified (only the session's enclaves can): the output says\n"
	"so in its 'verification' line. Files up to 4 MiB; '-' reads standard\n"
	"input.\n"
	"  --type T          the type (default auto: by size and content; a file\n"
	"                    that fits no type unambiguously is refused, exit 6:\n"
	"                    give --type)\n"
	"  --json            machine-readable output\n"
	"  --platform sim    the file comes from the emulated platform (said so)\n"
	"Every output states emulation: 'platform: EMULATED SGX (...)' when the\n"
	"artifact carries a marker (an emulator CPUSVN, the SDK simulation report\n"
	"KEYID) or --platform sim is given, else 'platform: no emulation marker'.\n";

static const char help_policy[] =
	"usage: fusekey policy check FILE\n"
	"\n"
	"Load a release policy exactly as fusekeyd does (docs/policy.md). Valid:\n"
	"exit 0 and a summary (container entries, their rules, every identity\n"
	"field). Refused: exit 6 and the first error as FILE:LINE: PATH: REASON,\n"
	"e.g. policy.json:7: containers.\"web\"[0].mr_enclave[1]: not 64 hex\n"
	"digits. Also 7 if the file is missing, 9 if others can write it. The file\n"
	"is JSON, at most 1 MiB: {\"version\": 1, \"containers\": {ID or \"*\": [rule,\n"
	"...]}}; a rule is {\"mr_enclave\": [HEX, ...]} or {\"mr_signer\": HEX,\n"
	"\"isv_prod_id\": N, \"min_isv_svn\": N}, plus optional allow_debug,\n"
	"isv_family_id, isv_ext_prod_id, config_id, min_config_svn, launch_digest.\n";

static const char help_launch_digest[] =
	"usage: fusekey launch-digest (--bundle DIR | --config FILE)\n"
	"\n"
	"Print the launch-spec digest (64 hex digits): SHA-256 over process.args,\n"
	"process.env and process.cwd of an OCI config.json, in the canonical form\n"
	"of docs/policy.md. Put it in a release policy rule as launch_digest.\n"
	"  --bundle DIR      read DIR/config.json (no symlink, at most 1 MiB)\n"
	"  --config FILE     read FILE ('-' = standard input)\n"
	"Exit 6 if the file is not a usable launch spec (no process.cwd, a\n"
	"non-string entry, more than 4096 args or env entries, a string over\n"
	"64 KiB or with a NUL character, duplicate keys), 7 if it is missing.\n";

static const char help_help[] =
	"usage: fusekey help [command]\n"
	"\n"
	"Show the overview, or the help of one command ('fusekey help sim sign').\n";

static const struct {
	const char *topic;
	const char *text;
	const char *more; /* optional second part */
	bool platform;	  /* then the platform options */
} topics[] = {
	{"sim", help_sim, NULL, false},
	{"sim init", help_sim_init, NULL, false},
	{"sim cpusvn", help_sim_cpusvn, NULL, false},
	{"sim keygen", help_sim_keygen, NULL, false},
	{"sim sign", help_sim_sign, NULL, false},
	{"sim show", help_sim_show, NULL, true},
	{"platform", help_platform, NULL, false},
	{"seal", help_seal, NULL, true},
	{"unseal", help_unseal, NULL, true},
	{"inspect", help_inspect, NULL, false},
	{"generate", help_generate, NULL, true},
	{"get", help_get, help_get_la, true},
	{"help", help_help, NULL, false},
	{"policy", help_policy, NULL, false},
	{"policy check", help_policy, NULL, false},
	{"launch-digest", help_launch_digest, NULL, false},
};

bool cli_help(const char *topic, FILE *f)
{
	if (topic == NULL) {
		fputs(help_overview, f);
		return true;
	}
	for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
		if (strcmp(topics[i].topic, topic) == 0) {
			fputs(topics[i].text, f);
			if (topics[i].more != NULL)
				fputs(topics[i].more, f);
			if (topics[i].platform)
				fputs(help_platform_opts, f);
			return true;
		}
	}
	return false;
}

static int cmd_help(int argc, char **argv)
{
	char topic[64];

	if (argc == 0) {
		cli_help(NULL, stdout);
		return CLI_EXIT_OK;
	}
	if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		cli_help("help", stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2 || strlen(argv[0]) > 16 || (argc == 2 && strlen(argv[1]) > 16))
		return cli_usage_err("help", "no help topic '%s%s%s'", argv[0], argc > 1 ? " " : "",
				     argc > 1 ? argv[1] : "");
	snprintf(topic, sizeof(topic), "%s%s%s", argv[0], argc == 2 ? " " : "",
		 argc == 2 ? argv[1] : "");
	if (!cli_help(topic, stdout))
		return cli_usage_err("help", "no help topic '%s'", topic);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	/* No core dumps: plaintext and keys pass through this process. */
	cli_disable_core_dumps();

	if (argc < 2) {
		fputs(help_overview, stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return cmd_help(0, NULL);
	if (strcmp(cmd, "--version") == 0) {
		printf("fusekey %s (platforms: gramine, occlum, sim = emulated SGX)\n",
		       FUSEKEY_VERSION_STRING);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0)
		return cmd_help(argc - 2, argv + 2);
	if (strcmp(cmd, "sim") == 0)
		return cli_cmd_sim(argc - 2, argv + 2);
	if (strcmp(cmd, "platform") == 0)
		return cli_cmd_platform(argc - 2, argv + 2);
	if (strcmp(cmd, "seal") == 0)
		return cli_cmd_seal(argc - 2, argv + 2);
	if (strcmp(cmd, "unseal") == 0)
		return cli_cmd_unseal(argc - 2, argv + 2);
	if (strcmp(cmd, "inspect") == 0)
		return cli_cmd_inspect(argc - 2, argv + 2);
	if (strcmp(cmd, "generate") == 0)
		return cli_cmd_generate(argc - 2, argv + 2);
	if (strcmp(cmd, "get") == 0)
		return cli_cmd_get(argc - 2, argv + 2);
	if (strcmp(cmd, "policy") == 0)
		return cli_cmd_policy(argc - 2, argv + 2);
	if (strcmp(cmd, "launch-digest") == 0)
		return cli_cmd_launch_digest(argc - 2, argv + 2);
	cli_err("unknown command '%s'", cmd);
	fputs("Try 'fusekey --help'.\n", stderr);
	return CLI_EXIT_USAGE;
}
