package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SizePolicyTest {

  @Test
  void recommendsBySizeOfTheTrainingData() {
    assertEquals(Size.LARGE, SizePolicy.recommend(40));
    assertEquals(Size.LARGE, SizePolicy.recommend(SizePolicy.LARGE_BELOW_ROWS - 1));
    assertEquals(Size.MEDIUM, SizePolicy.recommend(SizePolicy.LARGE_BELOW_ROWS));
    assertEquals(Size.MEDIUM, SizePolicy.recommend(SizePolicy.MEDIUM_BELOW_ROWS - 1));
    assertEquals(Size.SMALL, SizePolicy.recommend(SizePolicy.MEDIUM_BELOW_ROWS));
  }

  @Test
  void namedSizesAreTakenAsTheyAreAndAutoRecommendsOne() {
    PipelineSpec.Model named =
        new PipelineSpec.Model(List.of(Size.SMALL, Size.LARGE), Map.of(), "m", null);
    assertEquals(List.of(Size.SMALL, Size.LARGE), SizePolicy.choose(named, 10));

    PipelineSpec.Model auto = new PipelineSpec.Model(List.of(), Map.of(), "m", null);
    assertEquals(List.of(Size.MEDIUM), SizePolicy.choose(auto, 2_700));
  }
}
