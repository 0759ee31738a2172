#include <doctest/doctest.h>

#include "kiosk/core/barcode/check_digit.hpp"

using namespace kiosk::barcode;

TEST_CASE("GS1 mod 10 check digits of GTIN-8/12/13/14 and SSCC") {
  CHECK(Gs1CheckDigit("0061414100001") == 2);      // GTIN-14 00614141000012
  CHECK(Gs1CheckDigit("400638133393") == 1);       // EAN-13 4006381333931
  CHECK(Gs1CheckDigit("9638507") == 4);            // EAN-8 96385074
  CHECK(Gs1CheckDigit("03600029145") == 2);        // UPC-A 036000291452
  CHECK(Gs1CheckDigit("10614141123456789") == 7);  // SSCC 106141411234567897 (18 digits)
}

TEST_CASE("Luhn check digits of partner cards and badges") {
  CHECK(LuhnCheckDigit("7992739871") == 3);       // the textbook example 79927398713
  CHECK(LuhnCheckDigit("1001") == 7);             // BDG-10017
  CHECK(LuhnCheckDigit("9000") == 1);             // BDG-90001
  CHECK(LuhnCheckDigit("629900000000001") == 5);  // 6299000000000015
}

TEST_CASE("check digit functions refuse non-digits and empty payloads") {
  CHECK(Gs1CheckDigit("") == -1);
  CHECK(Gs1CheckDigit("12a4") == -1);
  CHECK(LuhnCheckDigit("") == -1);
  CHECK(LuhnCheckDigit(" 123") == -1);
  CHECK_FALSE(AllDigits(""));
  CHECK(AllDigits("0123456789"));
  CHECK_FALSE(AllDigits("01234x"));
}
