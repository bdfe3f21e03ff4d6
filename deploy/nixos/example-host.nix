# ns1.hachyderm.io on NixOS: popdns on port 53 with GeoLite2 City from geoipupdate and the zones
# pulled from git every minute. Import it from the host's configuration.nix, next to its hardware
# and network settings. Before the first rebuild:
#   - copy dns-server/target/popdns.jar (`./popdns build`) next to this file;
#   - put the secrets outside the Nix store, root:root 0600 (the /run/keys paths below are where a
#     secrets tool such as agenix or sops-nix would place them):
#       /run/keys/maxmind-license-key   the MaxMind licence key
#       /run/keys/popdns-admin-token    16+ random characters (`openssl rand -hex 24`)
#       /run/keys/popdns-pg             the Postgres password of the replica check
{ config, lib, pkgs, ... }:

let
  # The jar as a package: share/popdns/popdns.jar.
  popdnsJar = pkgs.runCommand "popdns-0.1.0" { } ''
    install -D -m 0644 ${./popdns.jar} $out/share/popdns/popdns.jar
  '';
in
{
  imports = [ ./popdns.nix ];

  networking.hostName = "ns1";
  networking.domain = "hachyderm.io";

  # GeoLite2 City: coordinates for nearest-PoP routing. geoipupdate renames the new file into
  # /var/lib/GeoIP; popdns notices, checks it and swaps it in.
  services.geoipupdate = {
    enable = true;
    interval = "daily";
    settings = {
      AccountID = 123456;
      LicenseKey = { _secret = "/run/keys/maxmind-license-key"; };
      EditionIDs = [ "GeoLite2-City" ];
      DatabaseDirectory = "/var/lib/GeoIP";
    };
  };

  services.popdns = {
    enable = true;
    package = popdnsJar;
    javaPackage = pkgs.jdk21_headless;
    extraJavaOptions = [ "-Xms32m" "-Xmx128m" ];
    openFirewall = true;
    geoipDatabase = "${config.services.geoipupdate.settings.DatabaseDirectory}/GeoLite2-City.mmdb";
    adminTokenFile = "/run/keys/popdns-admin-token";
    # the same 32 hex digits on ns1..ns3 (openssl rand -hex 16)
    cookieSecretFile = "/run/keys/popdns-cookie-secret";
    # pops.yaml in the zones repository: password-file: /run/credentials/popdns.service/popdns-pg
    postgresPasswordFile = "/run/keys/popdns-pg";
    settings = {
      identity = "ns1.hachyderm.io";
      version = "";
      threads = 4;
      cache-size = 100000;
      tcp-max-connections = 10000;
    };
    zoneSync = {
      enable = true;
      repository = "https://github.com/hachyderm/dns-zones.git";
      branch = "main";
    };
  };

  # The status page and /metrics stay on 127.0.0.1:8053; Prometheus reaches them through the
  # node's own agent or an SSH tunnel (deploy/prometheus/popdns-alerts.yml).
}
