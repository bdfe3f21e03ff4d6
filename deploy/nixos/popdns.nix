# NixOS module for popdns: the server (with the hardening of deploy/systemd/popdns.service), the
# zone sync timer (deploy/zone-sync) and a `popdns` command for operators (check, explain).
#
#   imports = [ ./popdns.nix ];
#   services.popdns = { enable = true; package = ...; settings.identity = "ns1.hachyderm.io"; };
#
# See example-host.nix beside this file. `settings` is popdns.yaml as an attribute set; keys not
# declared below (threads, cache-size, nsid, version, tcp-idle-timeout, tcp-max-connections, probes)
# pass through as written, and popdns refuses unknown ones at start with file:line.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkEnableOption mkIf types;

  cfg = config.services.popdns;
  yaml = pkgs.formats.yaml { };
  credentials = "/run/credentials/popdns.service";

  # null means "not set": popdns applies its default.
  configFile = yaml.generate "popdns.yaml" (lib.filterAttrs (_: v: v != null) cfg.settings);

  jar = "${cfg.package}/share/popdns/popdns.jar";
  javaMajor = lib.versions.major cfg.javaPackage.version;
  # --enable-native-access: Netty's native transport and the UDP path on recvmmsg (Java 22+ warns
  # without it; 21 accepts it).
  # --sun-misc-unsafe-memory-access: Netty's buffers on Java 24+ (Java 21 rejects the flag).
  # TrimNativeHeapInterval: glibc's heap trimmed every 10 s (deploy/systemd/popdns.default says
  # why); a product flag from 21.0.4, 22.0.2 and 23 on, which older JDKs refuse.
  javaVersion = cfg.javaPackage.version;
  trimsNativeHeap = lib.versionAtLeast javaMajor "23"
    || (javaMajor == "22" && lib.versionAtLeast javaVersion "22.0.2")
    || (javaMajor == "21" && lib.versionAtLeast javaVersion "21.0.4");
  javaOptions =
    [ "--enable-native-access=ALL-UNNAMED" ]
    ++ lib.optional (lib.versionAtLeast javaMajor "24") "--sun-misc-unsafe-memory-access=allow"
    ++ lib.optional trimsNativeHeap "-XX:TrimNativeHeapInterval=10000"
    ++ [ "-XX:+UseG1GC" "-XX:ParallelGCThreads=1" "-XX:ConcGCThreads=1" "-XX:MinHeapFreeRatio=20"
         "-XX:MaxHeapFreeRatio=40" "-XX:-G1UseAdaptiveIHOP" "-XX:InitiatingHeapOccupancyPercent=85" "-XX:MaxNewSize=16m" "-XX:G1ConcRefinementThreads=0" "-XX:GCTimeRatio=4" "-Xss512k" "-XX:+ExitOnOutOfMemoryError" ]
    ++ cfg.extraJavaOptions;
  java = "${cfg.javaPackage}/bin/java ${lib.escapeShellArgs javaOptions}";

  # Class-data sharing for the service only (not the `popdns` command, which other users run
  # concurrently): the JVM writes the classes it loaded to the archive at its first stop and maps
  # them at the next starts (deploy/systemd/popdns.default says why each flag). The name follows
  # the jar and the JDK, so an upgrade starts a fresh archive; ExecStartPre removes the others.
  cdsArchive = "popdns-${builtins.substring 0 16 (builtins.hashString "sha256" "${jar} ${cfg.javaPackage}")}.jsa";
  # Before javaOptions, so that extraJavaOptions can turn it off ("-Xshare:off").
  serviceJava = "${cfg.javaPackage}/bin/java ${lib.escapeShellArgs ([
    "-XX:+AutoCreateSharedArchive" "-XX:SharedArchiveFile=/var/cache/popdns/${cdsArchive}"
    "-XX:+VerifySharedSpaces" "-Xlog:cds=off" ] ++ javaOptions)}";

  popdnsCommand = pkgs.writeShellScriptBin "popdns" ''
    exec ${java} -jar ${jar} "$@"
  '';

  # "0.0.0.0:53", "[::]:53" -> 53
  listenPorts = lib.unique (map (a: lib.toInt (lib.last (lib.splitString ":" a))) cfg.settings.listen);
  httpPort = lib.toInt (lib.last (lib.splitString ":" cfg.settings.http));

  inStore = lib.hasPrefix builtins.storeDir cfg.zonesDir;

  # Shared by both services; none of it may be MemoryDenyWriteExecute: the JVM's JIT compilers
  # write machine code into memory they then execute.
  hardening = {
    NoNewPrivileges = true;
    ProtectSystem = "strict";
    ProtectHome = true;
    PrivateTmp = true;
    PrivateDevices = true;
    PrivateMounts = true;
    ProtectKernelTunables = true;
    ProtectKernelModules = true;
    ProtectKernelLogs = true;
    ProtectControlGroups = true;
    ProtectClock = true;
    ProtectHostname = true;
    ProtectProc = "invisible";
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    LockPersonality = true;
    RemoveIPC = true;
    RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" "AF_NETLINK" ];
    SystemCallArchitectures = "native";
    SystemCallFilter = [ "@system-service" "~@privileged" ];
    SystemCallErrorNumber = "EPERM";
  };
in
{
  options.services.popdns = {
    enable = mkEnableOption "popdns, an authoritative GeoDNS server with health-aware routing";

    package = mkOption {
      type = types.package;
      description = ''
        A package holding the runnable jar at share/popdns/popdns.jar (built by `./popdns build`
        as dns-server/target/popdns.jar). example-host.nix shows one made from a local jar.
      '';
    };

    javaPackage = mkOption {
      type = types.package;
      default = pkgs.jdk21_headless;
      defaultText = lib.literalExpression "pkgs.jdk21_headless";
      description = "The Java runtime, 21 or newer.";
    };

    extraJavaOptions = mkOption {
      type = types.listOf types.str;
      default = [ "-Xms32m" "-Xmx128m" "-XX:MaxDirectMemorySize=256m" ];
      example = [ "-Xmx1g" ];
      description = "JVM options added after the built-in ones (heap size above all).";
    };

    zonesDir = mkOption {
      type = types.str;
      default = "/var/lib/popdns/zones";
      description = ''
        The zones directory (*.zone and pops.yaml), settings.zones. Written by the zone sync when
        zoneSync.enable is set (owned by popdns-sync), read-only for popdns. A store path works
        too, for zones managed in Nix (a rebuild then restarts popdns).
      '';
    };

    geoipDatabase = mkOption {
      type = types.nullOr types.str;
      default = "/var/lib/GeoIP/GeoLite2-City.mmdb";
      description = ''
        GeoLite2/GeoIP2 City (or Country) database, settings.geoip; required when pops.yaml
        declares geo names. Keep it fresh with services.geoipupdate (EditionIDs GeoLite2-City);
        popdns picks up the file geoipupdate renames into place.
      '';
    };

    adminTokenFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/run/keys/popdns-admin-token";
      description = ''
        File with the bearer token (16+ characters) for the admin calls: overrides and reload.
        Outside the Nix store; systemd passes it to popdns (and the zone sync) as a credential, and
        settings."admin-token-file" points there. null: admin calls get 403.
      '';
    };

    cookieSecretFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/run/keys/popdns-cookie-secret";
      description = ''
        File with the DNS cookie secret (32 hex digits, `openssl rand -hex 16`), the same on every
        nameserver so that each accepts the server cookies the others issue. Passed as a
        credential; settings."cookie-secret-file" points there. null: a random secret per start.
      '';
    };

    postgresPasswordFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/run/keys/popdns-pg";
      description = ''
        Password of the postgres-replica check, passed as a credential. pops.yaml then says
        `password-file: ${credentials}/popdns-pg`.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open the DNS ports of settings.listen, UDP and TCP.";
    };

    settings = mkOption {
      description = "popdns.yaml, as an attribute set (keys as in the README).";
      default = { };
      type = types.submodule {
        freeformType = yaml.type;
        options = {
          listen = mkOption {
            type = types.listOf types.str;
            default = [ "0.0.0.0:53" "[::]:53" ];
            description = "DNS addresses, ADDR:PORT with literal addresses (IPv6 in brackets).";
          };
          http = mkOption {
            type = types.str;
            default = "127.0.0.1:8053";
            description = "Status page, API and /metrics. Keep it on loopback.";
          };
          zones = mkOption {
            type = types.str;
            default = cfg.zonesDir;
            defaultText = lib.literalExpression "config.services.popdns.zonesDir";
            description = "The zones directory.";
          };
          geoip = mkOption {
            type = types.nullOr types.str;
            default = cfg.geoipDatabase;
            defaultText = lib.literalExpression "config.services.popdns.geoipDatabase";
            description = "The GeoIP database.";
          };
          identity = mkOption {
            type = types.nullOr types.str;
            default = null;
            example = "ns1.hachyderm.io";
            description = "NSID and id.server; null: the host name; \"\": off.";
          };
          rate-limit = mkOption {
            type = yaml.type;
            default = {
              responses-per-second = 50;
              slip = 2;
            };
            description = ''
              Response rate limiting of UDP answers (per /24 or /56 and response class); every
              slip-th answer over the limit goes out truncated, the rest are dropped.
              { responses-per-second = 0; } turns it off.
            '';
          };
          cookie-secret-file = mkOption {
            type = types.nullOr types.str;
            default = if cfg.cookieSecretFile == null then null else "${credentials}/cookie-secret";
            defaultText = lib.literalMD "`/run/credentials/popdns.service/cookie-secret` when `cookieSecretFile` is set, else null";
            description = "Where popdns reads the DNS cookie secret.";
          };
          admin-token-file = mkOption {
            type = types.nullOr types.str;
            default = if cfg.adminTokenFile == null then null else "${credentials}/admin-token";
            defaultText = lib.literalMD "`/run/credentials/popdns.service/admin-token` when `adminTokenFile` is set, else null";
            description = "Where popdns reads the admin token.";
          };
        };
      };
    };

    zoneSync = {
      enable = mkEnableOption "the zone sync: git -> popdns check -> zonesDir, every minute";
      repository = mkOption {
        type = types.str;
        example = "https://github.com/hachyderm/dns-zones.git";
        description = "Git URL of the zones repository.";
      };
      branch = mkOption {
        type = types.str;
        default = "main";
        description = "Branch to serve.";
      };
      subdir = mkOption {
        type = types.str;
        default = "zones";
        description = "Folder of the zones inside the repository.";
      };
      interval = mkOption {
        type = types.str;
        default = "minutely";
        description = "systemd OnCalendar= of the sync timer (plus up to 20 s of random delay).";
      };
      sshKeyFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "Read-only deploy key for an ssh:// repository, passed as a credential.";
      };
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = !(cfg.zoneSync.enable && inStore);
        message = "services.popdns.zoneSync needs a writable zonesDir, not a store path";
      }
    ];

    users.users.popdns = {
      isSystemUser = true;
      group = "popdns";
      description = "popdns DNS server";
    };
    users.groups.popdns = { };
    users.users.popdns-sync = mkIf cfg.zoneSync.enable {
      isSystemUser = true;
      group = "popdns-sync";
      home = "/var/lib/popdns-sync";
      description = "popdns zone sync";
    };
    users.groups.popdns-sync = mkIf cfg.zoneSync.enable { };

    systemd.tmpfiles.rules =
      [ "d /var/lib/popdns 0755 root root -" ]
      ++ lib.optional (!inStore)
        (if cfg.zoneSync.enable
         then "d ${cfg.zonesDir} 0755 popdns-sync popdns-sync -"
         else "d ${cfg.zonesDir} 0755 root root -");

    environment.systemPackages = [ popdnsCommand ];

    # the 4 MiB UDP socket buffers popdns asks for (it warns at start when the kernel granted less)
    boot.kernel.sysctl."net.core.rmem_max" = lib.mkDefault 4194304;
    boot.kernel.sysctl."net.core.wmem_max" = lib.mkDefault 4194304;

    networking.firewall = mkIf cfg.openFirewall {
      allowedUDPPorts = listenPorts;
      allowedTCPPorts = listenPorts;
    };

    systemd.services.popdns = {
      description = "popdns authoritative GeoDNS server";
      wantedBy = [ "multi-user.target" ];
      # The health probes need the network: the first probe round runs before /readyz.
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ]
        ++ lib.optional config.services.geoipupdate.enable "geoipupdate.service";
      # A crash loop never leaves the unit dead for good: no start limit, a restart every 5 s.
      startLimitIntervalSec = 0;
      serviceConfig = hardening // {
        # popdns does not speak sd_notify; readiness is GET /readyz.
        Type = "exec";
        User = "popdns";
        Group = "popdns";
        WorkingDirectory = "/var/lib/popdns";
        CacheDirectory = "popdns";
        ExecStartPre = "-${pkgs.findutils}/bin/find /var/cache/popdns -maxdepth 1 -name '*.jsa' ! -name ${cdsArchive} -delete";
        ExecStart = "${serviceJava} -jar ${jar} serve --config ${configFile}";
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        # SIGTERM stops popdns cleanly; the JVM then exits with 128+15.
        SuccessExitStatus = 143;
        TimeoutStopSec = "20s";
        Restart = "on-failure";
        RestartSec = "5s";
        LimitNOFILE = 65536;
        # Heap, direct buffers and the JVM's own memory under 1 GiB (see deploy/systemd/popdns.service);
        # a thread leak stops at 256 tasks.
        MemoryMax = "1G";
        TasksMax = 256;
        # glibc's default of 8 malloc arenas per core holds tens of MiB the JVM never asks for again.
        Environment = [ "MALLOC_ARENA_MAX=2" ];
        # Binds only on the DNS ports (UDP and TCP) and the HTTP port; outgoing probes bind port 0.
        SocketBindAllow = (lib.concatMap (p: [ "udp:${toString p}" "tcp:${toString p}" ]) listenPorts)
          ++ [ "tcp:${toString httpPort}" ];
        SocketBindDeny = "any";
        LoadCredential =
          lib.optional (cfg.adminTokenFile != null) "admin-token:${cfg.adminTokenFile}"
          ++ lib.optional (cfg.cookieSecretFile != null) "cookie-secret:${cfg.cookieSecretFile}"
          ++ lib.optional (cfg.postgresPasswordFile != null) "popdns-pg:${cfg.postgresPasswordFile}";
        # Port 53 without root, and no other capability. (Not PrivateUsers=: in a user namespace
        # the capability would not cover the host's network namespace.)
        AmbientCapabilities = [ "CAP_NET_BIND_SERVICE" ];
        CapabilityBoundingSet = [ "CAP_NET_BIND_SERVICE" ];
        ReadOnlyPaths = [ cfg.zonesDir ];
        UMask = "0077";
        KeyringMode = "private";
      };
    };

    systemd.services.popdns-zone-sync = mkIf cfg.zoneSync.enable {
      description = "popdns zone sync (git -> popdns check -> ${cfg.zonesDir})";
      wants = [ "network-online.target" ];
      after = [ "network-online.target" "popdns.service" ];
      path = with pkgs; [ bash coreutils curl diffutils git gnugrep gnused openssh util-linux ];
      environment = {
        ZONES_REPO = cfg.zoneSync.repository;
        ZONES_BRANCH = cfg.zoneSync.branch;
        ZONES_SUBDIR = cfg.zoneSync.subdir;
        LIVE_DIR = cfg.zonesDir;
        POPDNS = "${popdnsCommand}/bin/popdns";
        POPDNS_HTTP = "http://${cfg.settings.http}";
      };
      serviceConfig = hardening // {
        Type = "oneshot";
        User = "popdns-sync";
        Group = "popdns-sync";
        # The staging checkout, on the file system of zonesDir (files are renamed into place).
        StateDirectory = "popdns-sync";
        WorkingDirectory = "/var/lib/popdns-sync";
        ExecStart = "${pkgs.bash}/bin/bash ${../zone-sync/popdns-zone-sync.sh}";
        TimeoutStartSec = "5min";
        Nice = 10;
        UMask = "0022";
        CapabilityBoundingSet = "";
        ReadWritePaths = [ cfg.zonesDir ];
        LoadCredential =
          lib.optional (cfg.adminTokenFile != null) "admin-token:${cfg.adminTokenFile}"
          ++ lib.optional (cfg.zoneSync.sshKeyFile != null) "deploy-key:${cfg.zoneSync.sshKeyFile}";
      };
    };

    systemd.timers.popdns-zone-sync = mkIf cfg.zoneSync.enable {
      description = "popdns zone sync";
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnCalendar = cfg.zoneSync.interval;
        OnBootSec = "15s";
        RandomizedDelaySec = "20s";
        AccuracySec = "1s";
      };
    };
  };
}
