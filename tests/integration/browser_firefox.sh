#!/usr/bin/env bash
# Headless Firefox (firefox-esr, fake devices) and headless Chromium in one okno room through the demo
# page: each decodes the other's video and plays the other's audio. Firefox reports its statistics
# through the page's ?report=URL hook to a collector on 127.0.0.1. okno must stop cleanly afterwards
# with no sanitizer report on its stderr.
# Outside a private network namespace: with loopback as its only interface, Firefox gathers no ICE
# candidate at all (mtransport: "Couldn't gather ICE candidates", error 10), ice.loopback or not.
OKNO_NETNS=0
. "$(dirname "$0")/browser_lib.bash"
driver_checks=6
tap_plan $((driver_checks + 3))
firefox=${OKNO_FIREFOX:-/usr/bin/firefox-esr}

missing=""
[ -x "$firefox" ] || missing="firefox-esr is not installed"
[ -x "${OKNO_CHROMIUM:-/usr/bin/chromium}" ] || missing="chromium is not installed"
[ -z "$missing" ] || skip_rest "Firefox and Chromium exchange media through okno" "$missing"

# A fresh profile: fake devices without a permission prompt, loopback ICE, plain host candidates
# (okno cannot resolve mDNS names), audible autoplay, and no first-run, update or telemetry traffic.
profile=$tmp/firefox-profile
mkdir -p "$profile"
cat >"$profile/user.js" <<'PREFS'
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.peerconnection.ice.loopback", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("media.autoplay.default", 0);
user_pref("media.autoplay.blocking_policy", 0);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("startup.homepage_welcome_url", "");
user_pref("startup.homepage_welcome_url.additional", "");
user_pref("browser.startup.firstrunSkipsHomepage", true);
user_pref("trailhead.firstrun.didSeeAboutWelcome", true);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.policy.firstRunURL", "");
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("app.update.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.normandy.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.manage-offline-status", false);
user_pref("browser.tabs.warnOnClose", false);
user_pref("browser.sessionstore.resume_from_crash", false);
PREFS

okno_conf
okno_up "okno starts and serves the demo page on 127.0.0.1:$http_port"
HOME=$tmp run_driver "$driver_checks" 110 browser_firefox.mjs "$base_url" "firefox-chromium" "$profile" "$firefox"

check_okno_stops "okno still runs after the call"
check_okno_stderr
