<?php
// A phpCAS-protected application (Debian php-cas) for the end-to-end tests, served by
// `php -S`. The first path segment after /php picks the protocol: v1, v2, v3 or saml.
// Environment: CAS_BASE (e.g. http://127.0.0.1:8797/cas).
// Debian's phpCAS warns that its autoloader is deprecated (use composer); not our concern.
error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED);
require_once 'CAS.php';

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (!preg_match('#^/php/(v1|v2|v3|saml)/#', $path, $m)) {
    http_response_code(404);
    exit;
}
$versions = ['v1' => CAS_VERSION_1_0, 'v2' => CAS_VERSION_2_0, 'v3' => CAS_VERSION_3_0, 'saml' => SAML_VERSION_1_1];
$cas = getenv('CAS_BASE');
$u = parse_url($cas);
session_name('PHPCAS_' . $m[1]);
phpCAS::client($versions[$m[1]], $u['host'], $u['port'], $u['path'], 'http://' . $_SERVER['HTTP_HOST'], true);
phpCAS::setNoCasServerValidation();
// phpCAS builds https:// server URLs; the test Worker speaks plain http on loopback.
phpCAS::setServerLoginURL($cas . '/login?service=' . urlencode(phpCAS::getServiceURL()));
phpCAS::setServerServiceValidateURL($cas . ['v1' => '/validate', 'v2' => '/serviceValidate', 'v3' => '/p3/serviceValidate', 'saml' => '/serviceValidate'][$m[1]]);
phpCAS::setServerSamlValidateURL($cas . '/samlValidate');
phpCAS::setServerLogoutURL($cas . '/logout');
phpCAS::handleLogoutRequests(false);
phpCAS::forceAuthentication();

header('Content-Type: application/json');
echo json_encode(['user' => phpCAS::getUser(), 'attributes' => phpCAS::getAttributes(), 'version' => $m[1]]);
