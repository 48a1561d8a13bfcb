package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DateExtractorTest {
  private static final DateExtractor IN_2023 = new DateExtractor(2023, false, false, "");

  @Test
  void normalizesTheWaysPeopleWriteDates() {
    String[][] cases = {
      {"please call me back on March 21 about my refund", "2023-03-21"},
      {"wants a callback Tue 3/5 re: invoice", "2023-03-05"},
      {"call back on Mar. 5th please", "2023-03-05"},
      {"Tuesday, March 21st works", "2023-03-21"},
      {"ring back on 21 March", "2023-03-21"},
      {"any time on the 5th of May", "2023-05-05"},
      {"sept 9 is fine", "2023-09-09"},
      {"due by December 1, 2024", "2024-12-01"},
      {"due 3/5/24", "2024-03-05"},
      {"see you 12/31/2025", "2025-12-31"},
      {"on 2025-01-09 at noon", "2025-01-09"},
      {"on Feb 29", ""}, // not a date in 2023
      {"no date here, may I ask?", ""},
      {"room 12/40", ""},
    };
    for (String[] c : cases) {
      assertEquals(c[1], IN_2023.predict(c[0]), c[0]);
    }
  }

  @Test
  void mentionsWithoutAYearGetTheLatestSuchYearOfTheTrainingAnswers() {
    List<String> inputs =
        List.of("call on March 3", "call on 4/5", "due April 1, 2021", "call on June 9");
    List<String> answers = List.of("2023-03-03", "2023-04-05", "2021-04-01", "2022-06-09");
    DateExtractor learned = DateExtractor.learn(inputs, answers);
    assertEquals(2023, learned.defaultYear); // 2021 was written in its input
    assertEquals("2023-07-14", learned.predict("call on July 14"));
    assertEquals("2019-07-14", learned.predict("call on July 14, 2019"));

    DateExtractor retrained =
        DateExtractor.learn(
            List.of("call on March 3", "call on 4/5", "call on May 6"),
            List.of("2023-03-03", "2023-04-05", "2024-05-06"));
    assertEquals("2024-07-14", retrained.predict("call on July 14"));
  }

  @Test
  void theYearOfTheLogLineIsLearnedOnlyWhenOneYearCannotExplainTheAnswers() {
    List<String> logs2023 =
        List.of("[2023-03-01] call on March 3", "[2023-04-02] call on 4/5", "[2023-06-01] June 9");
    List<String> answers2023 = List.of("2023-03-03", "2023-04-05", "2023-06-09");
    DateExtractor onlyOneYear = DateExtractor.learn(logs2023, answers2023);
    // Both rules fit every answer: the simpler one, "2023", wins, and fails on the next year.
    assertFalse(onlyOneYear.yearFromInput);
    assertEquals("2023-07-14", onlyOneYear.predict("[2024-07-10] call on July 14"));

    List<String> logs = new java.util.ArrayList<>(logs2023);
    logs.add("[2024-05-01] call on May 6");
    List<String> answers = new java.util.ArrayList<>(answers2023);
    answers.add("2024-05-06");
    DateExtractor retrained = DateExtractor.learn(logs, answers);
    assertTrue(retrained.yearFromInput);
    assertEquals("2024-07-14", retrained.predict("[2024-07-10] call on July 14"));
    assertEquals("2023-07-14", retrained.predict("[2023-07-10] call on July 14"));
    assertEquals("2024-07-14", retrained.predict("call on July 14"), "no log date: the latest");
  }

  @Test
  void learnsWhetherNumericDatesPutTheDayFirst() {
    DateExtractor european =
        DateExtractor.learn(
            List.of("ring on 5/3", "ring on 20/4", "ring on 2/11"),
            List.of("2023-03-05", "2023-04-20", "2023-11-02"));
    assertTrue(european.dayFirst);
    assertEquals("2023-04-03", european.predict("ring on 3/4"));
    assertFalse(DateExtractor.learn(List.of("on 3/5"), List.of("2023-03-05")).dayFirst);
  }

  @Test
  void learnsWhichMentionAnswersAndWhatToSayWithoutOne() {
    DateExtractor learned =
        DateExtractor.learn(
            List.of(
                "Called on March 3, wants a callback March 21",
                "Called Jan 5; call back Jan 9",
                "Called, no callback needed",
                "Called, no callback wanted"),
            List.of("2023-03-21", "2023-01-09", "", ""));
    assertTrue(learned.lastMention);
    assertEquals("2023-06-02", learned.predict("Called May 30, call back June 2"));
    assertEquals("", learned.predict("Called, call back whenever"));
  }

  @Test
  void aMentionIsTheDateAsWrittenWithoutItsWeekday() {
    assertEquals("3/5", DateMentions.find("Wants a callback Tue 3/5 re: invoice").get(0).text());
    assertEquals("March 21st", DateMentions.find("on Tuesday, March 21st, thanks").get(0).text());
    assertEquals("21 March 2024", DateMentions.find("by 21 March 2024.").get(0).text());
  }
}
